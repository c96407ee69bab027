import type { Annotations, ScopeAnnotations } from "../types.js";

export type InstanceIdFactory = () => string;

const PLAIN_SINGLETONS = [
  "useCaseVersion",
  "useCaseStep",
  "userId",
  "accountName",
  "priceAsResource",
  "priceAsCategory",
  "resourceScope",
] as const;
const LISTS = ["limitIds", "requestTags"] as const;
const MAPS = ["requestProperties", "useCaseProperties"] as const;

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
    delete out.useCaseName;
    delete out.useCaseId;
    delete out.useCaseVersion;
    delete out.useCaseStep;
  } else if (name !== undefined && name !== acc.useCaseName) {
    // Another use case: the enclosing one's instance, version and step do not carry over.
    out.useCaseName = name;
    delete out.useCaseId;
    delete out.useCaseVersion;
    delete out.useCaseStep;
  }
  if (startsInstance(acc, scope)) out.useCaseId = newInstanceId();
  else if (scope.useCaseId === null) delete out.useCaseId;
  else if (scope.useCaseId !== undefined) out.useCaseId = scope.useCaseId;

  for (const key of PLAIN_SINGLETONS) {
    const value = scope[key];
    if (value === null) delete out[key];
    else if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  for (const key of LISTS) {
    const add = scope[key];
    if (add && add.length > 0) out[key] = union(acc[key], add);
  }
  for (const key of MAPS) {
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
