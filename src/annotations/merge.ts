import type { Annotations, ScopeAnnotations } from "../types.js";
import { LIST_KEYS, MAP_KEYS, SINGLETON_KEYS, useCaseRoleOf } from "./keys.js";

export type InstanceIdFactory = () => string;

/** Singletons the scope simply overrides; the use case's name and instance id follow the instance rules. */
const PLAIN_SINGLETONS = SINGLETON_KEYS.filter((k) => {
  const role = useCaseRoleOf(k);
  return role !== "name" && role !== "instance";
});
/** What belongs to the named use case: dropped when the scope names another one or clears the name. */
const USE_CASE_FIELDS = SINGLETON_KEYS.filter((k) => useCaseRoleOf(k) !== undefined);

export const EMPTY_ANNOTATIONS: Annotations = Object.freeze({});

/**
 * Does this scope start a new use-case instance on top of `enclosing`? It does when it names a use case other
 * than the enclosing one without giving an id, or clears the id (`useCaseId: null`) while a use case is named.
 */
export function startsInstance(enclosing: Annotations, scope: ScopeAnnotations): boolean {
  const name = scope.useCaseName;
  if (typeof name === "string" && name !== enclosing.useCaseName && scope.useCaseId === undefined)
    return true;
  return scope.useCaseId === null && name !== null && (name ?? enclosing.useCaseName) !== undefined;
}

/**
 * The merge engine (SPEC §3), one scope at a time: singletons — the scope wins; lists — union in first-seen
 * order; maps — merged per key, the scope wins; `null` clears. Pure apart from `newInstanceId`, which is only
 * called when the scope starts a new use-case instance. Returns a new frozen object; never mutates `acc`.
 */
export function applyScope(
  acc: Annotations,
  scope: ScopeAnnotations,
  newInstanceId: InstanceIdFactory,
): Annotations {
  const out: Annotations = { ...acc };
  const name = scope.useCaseName;
  if (name === null) {
    // The use case's own fields belong to it: clearing the name clears them.
    for (const key of USE_CASE_FIELDS) delete out[key];
  } else if (name !== undefined && name !== acc.useCaseName) {
    // Another use case: the enclosing one's instance, version and step do not carry over.
    for (const key of USE_CASE_FIELDS) delete out[key];
    out.useCaseName = name;
  }
  if (startsInstance(acc, scope)) out.useCaseId = newInstanceId();
  else if (scope.useCaseId === null) delete out.useCaseId;
  else if (scope.useCaseId !== undefined) out.useCaseId = scope.useCaseId;

  for (const key of PLAIN_SINGLETONS) {
    const value = scope[key];
    if (value === null) delete out[key];
    else if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  for (const key of LIST_KEYS) {
    const add = scope[key];
    if (add && add.length > 0) out[key] = union(acc[key], add);
  }
  for (const key of MAP_KEYS) {
    const value = scope[key];
    if (value === null) delete out[key];
    else if (value !== undefined) out[key] = Object.freeze({ ...acc[key], ...value });
  }
  return Object.freeze(out);
}

/** Resolves a list of scopes, outermost first (root → … → innermost → request headers). */
export function mergeScopes(
  scopes: readonly ScopeAnnotations[],
  newInstanceId: InstanceIdFactory,
): Annotations {
  let acc = EMPTY_ANNOTATIONS;
  for (const scope of scopes) acc = applyScope(acc, scope, newInstanceId);
  return acc;
}

function union(base: readonly string[] | undefined, add: readonly string[]): string[] {
  if (!base || base.length === 0) return Object.freeze([...new Set(add)]) as string[];
  const seen = new Set(base);
  const out = [...base];
  for (const v of add) {
    if (!seen.has(v)) {
      seen.add(v);
      out.push(v);
    }
  }
  return Object.freeze(out) as string[];
}
