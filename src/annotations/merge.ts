import { AnnotationError } from "../errors.js";
import type { Annotations, ScopeAnnotations } from "../types.js";
import {
  LIST_KEYS,
  MAP_KEYS,
  MAX_MERGED_LIST,
  MAX_MERGED_MAP_KEYS,
  SINGLETON_KEYS,
  useCaseRoleOf,
} from "./keys.js";

export type InstanceIdFactory = () => string;

type ListKey = (typeof LIST_KEYS)[number];
type MapKey = (typeof MAP_KEYS)[number];

/** Singletons the scope simply overrides; the use case's name and instance id follow the instance rules. */
const PLAIN_SINGLETONS = SINGLETON_KEYS.filter((k) => {
  const role = useCaseRoleOf(k);
  return role !== "name" && role !== "instance";
});
/** What belongs to the named use case: dropped when the scope names another one or clears the name. */
const USE_CASE_FIELDS = SINGLETON_KEYS.filter((k) => useCaseRoleOf(k) !== undefined);

export const EMPTY_ANNOTATIONS: Annotations = Object.freeze({});

/**
 * Does this scope start a new use-case instance under the enclosing use case `enclosingName`? It does when it names a use case other
 * than the enclosing one without giving an id, or clears the id (`useCaseId: null`) while a use case is named.
 */
function startsInstance(enclosingName: string | undefined, scope: ScopeAnnotations): boolean {
  const name = scope.useCaseName;
  if (typeof name === "string" && name !== enclosingName && scope.useCaseId === undefined) return true;
  return scope.useCaseId === null && name !== null && (name ?? enclosingName) !== undefined;
}

/**
 * How much a scope can grow the merged lists and maps beneath it: its list entries plus its map keys. A scope
 * tree sums these along a path as an upper bound of the merged size, and checks the exact size only when the
 * bound passes the caps (src/context/scope-tree.ts), so entering a scope stays O(1).
 */
export function scopeGrowth(scope: ScopeAnnotations): number {
  // Named properties, not a loop over the key table: this runs on every `trackContext`.
  return (
    (scope.limitIds?.length ?? 0) +
    (scope.requestTags?.length ?? 0) +
    keyCount(scope.requestProperties) +
    keyCount(scope.useCaseProperties)
  );
}

function keyCount(map: Readonly<Record<string, string>> | null | undefined): number {
  let n = 0;
  if (map) for (const _ in map) n++;
  return n;
}

/** The exact number of list entries and map keys of resolved annotations (what `scopeGrowth` bounds). */
export function mergedSize(annotations: Annotations): number {
  return scopeGrowth(annotations as ScopeAnnotations);
}

/**
 * The merge engine (SPEC §3), applied scope after scope, outermost first, into one mutable result that is copied
 * from its base once: singletons — the scope wins; lists — union in first-seen order; maps — merged per key,
 * the scope wins; `null` clears. Merging N scopes costs O(N + what they write), never a copy per scope (which
 * is quadratic under deep nesting). Merged lists and maps are capped (MAX_MERGED_LIST, MAX_MERGED_MAP_KEYS):
 * going past a cap throws `AnnotationError` naming the field. `newInstanceId` is only called for a scope that
 * starts a new use-case instance.
 */
export class AnnotationMerger {
  readonly #out: Record<string, unknown>;
  /** Lists and maps already copied into this merge (mutable here), with their seen-sets for the lists. */
  readonly #lists = new Map<ListKey, { values: string[]; seen: Set<string> }>();
  readonly #maps = new Map<MapKey, { values: Record<string, string>; size: number }>();

  constructor(base: Annotations = EMPTY_ANNOTATIONS) {
    this.#out = { ...base };
  }

  apply(scope: ScopeAnnotations, newInstanceId: InstanceIdFactory): this {
    const out = this.#out;
    const enclosingName = out.useCaseName as string | undefined;
    const name = scope.useCaseName;
    if (name === null) {
      // The use case's own fields belong to it: clearing the name clears them.
      for (const key of USE_CASE_FIELDS) delete out[key];
    } else if (name !== undefined && name !== enclosingName) {
      // Another use case: the enclosing one's instance, version and step do not carry over.
      for (const key of USE_CASE_FIELDS) delete out[key];
      out.useCaseName = name;
    }
    if (startsInstance(enclosingName, scope)) out.useCaseId = newInstanceId();
    else if (scope.useCaseId === null) delete out.useCaseId;
    else if (scope.useCaseId !== undefined) out.useCaseId = scope.useCaseId;

    for (const key of PLAIN_SINGLETONS) {
      const value = scope[key];
      if (value === null) delete out[key];
      else if (value !== undefined) out[key] = value;
    }
    for (const key of LIST_KEYS) {
      const add = scope[key];
      if (add && add.length > 0) this.#addToList(key, add);
    }
    for (const key of MAP_KEYS) {
      const value = scope[key];
      if (value === null) {
        delete out[key];
        this.#maps.delete(key);
      } else if (value !== undefined) this.#mergeMap(key, value);
    }
    return this;
  }

  /** The merged annotations, frozen (lists and maps too). */
  result(): Annotations {
    const out = this.#out;
    for (const [key, list] of this.#lists) out[key] = Object.freeze(list.values);
    for (const [key, map] of this.#maps) out[key] = Object.freeze(map.values);
    return Object.freeze(out) as Annotations;
  }

  #addToList(key: ListKey, add: readonly string[]): void {
    let list = this.#lists.get(key);
    if (!list) {
      const base = (this.#out[key] as string[] | undefined) ?? [];
      list = { values: [...base], seen: new Set(base) };
      this.#lists.set(key, list);
    }
    for (const v of add) {
      if (list.seen.has(v)) continue;
      list.seen.add(v);
      list.values.push(v);
    }
    if (list.values.length > MAX_MERGED_LIST) {
      throw new AnnotationError(
        key,
        `costtrail: ${key} has more than ${MAX_MERGED_LIST} entries merged across nested scopes`,
      );
    }
  }

  #mergeMap(key: MapKey, add: Readonly<Record<string, string>>): void {
    let map = this.#maps.get(key);
    if (!map) {
      const base = this.#out[key] as Record<string, string> | undefined;
      const values: Record<string, string> = { ...base };
      let size = 0;
      for (const _ in values) size++;
      map = { values, size };
      this.#maps.set(key, map);
      this.#out[key] = values;
    }
    for (const k in add) {
      if (!Object.hasOwn(add, k)) continue;
      if (!Object.hasOwn(map.values, k)) map.size++;
      map.values[k] = add[k]!;
    }
    if (map.size > MAX_MERGED_MAP_KEYS) {
      throw new AnnotationError(
        key,
        `costtrail: ${key} has more than ${MAX_MERGED_MAP_KEYS} keys merged across nested scopes`,
      );
    }
  }
}

/** One scope on top of resolved annotations: a new frozen object; never mutates `acc`. */
export function applyScope(
  acc: Annotations,
  scope: ScopeAnnotations,
  newInstanceId: InstanceIdFactory,
): Annotations {
  return new AnnotationMerger(acc).apply(scope, newInstanceId).result();
}

/** Resolves a list of scopes, outermost first (root → … → innermost → request headers). */
export function mergeScopes(
  scopes: readonly ScopeAnnotations[],
  newInstanceId: InstanceIdFactory,
): Annotations {
  const merger = new AnnotationMerger();
  for (const scope of scopes) merger.apply(scope, newInstanceId);
  return merger.result();
}
