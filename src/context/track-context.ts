import { scopeGrowth } from "../annotations/merge.js";
import { plainFacts } from "../annotations/plain-scope.js";
import { isEmptyScope, parseScopeAnnotations } from "../annotations/schema.js";
import type { ScopeAnnotations } from "../types.js";
import { runInEmptyScope, runInNewNode } from "./scope-tree.js";

/**
 * Runs `fn` inside a new scope carrying runtime annotations (a user id from the request, a document id as the
 * instance id) and returns what `fn` returns, value or promise. Validated here: bad values throw
 * `AnnotationError` before `fn` runs.
 */
export function trackContext<R>(annotations: ScopeAnnotations, fn: () => R): R {
  const scope = parseScopeAnnotations(annotations, "trackContext()");
  if (typeof fn !== "function")
    throw new TypeError("costtrail: trackContext(annotations, fn) needs a function");
  // A plainly valid scope was measured while it was copied (plain-scope.ts); zod's result is measured here.
  const known = plainFacts.scope === scope;
  if (known ? plainFacts.empty : isEmptyScope(scope)) return runInEmptyScope(fn);
  return runInNewNode(scope, known ? plainFacts.growth : scopeGrowth(scope), fn);
}
