import type { Annotations } from "../types.js";
import type { Limit } from "./definition.js";

const SCOPE_KEYS = ["userId", "accountName", "useCaseName"] as const;
const NONE: readonly Limit[] = [];

/** True when every key of the limit's scope equals the call's annotation. */
export function inScope(limit: Limit, annotations: Annotations): boolean {
  const scope = limit.scope!;
  for (const key of SCOPE_KEYS) {
    const want = scope[key];
    if (want !== undefined && annotations[key] !== want) return false;
  }
  return true;
}

/**
 * The limits that apply to a call (docs/limits.md, "Which limits apply to a call"): those named in
 * `limitIds`, in that order, then scoped ones whose every key matches; each once. `onUnknown` sees ids that
 * name no known limit. Allocates nothing when nothing applies (the common, unlimited call).
 */
export function applicableLimits(
  byId: ReadonlyMap<string, Limit>,
  scoped: readonly Limit[],
  annotations: Annotations,
  onUnknown: (id: string) => Limit | undefined,
): readonly Limit[] {
  let out: Limit[] | undefined;
  const add = (limit: Limit) => {
    if (!out) out = [limit];
    else if (!out.includes(limit)) out.push(limit);
  };
  const ids = annotations.limitIds;
  if (ids) {
    for (const id of ids) {
      const limit = byId.get(id) ?? onUnknown(id);
      if (limit) add(limit);
    }
  }
  for (const limit of scoped) if (inScope(limit, annotations)) add(limit);
  return out ?? NONE;
}
