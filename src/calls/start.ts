import { parseAnnotationHeaders } from "../annotations/headers.js";
import { resolveWith } from "../context/scope-tree.js";
import { AnnotationError } from "../errors.js";
import { log } from "../log.js";
import { getRuntime } from "../runtime.js";
import type { Annotations, ScopeAnnotations } from "../types.js";
import { admit } from "./admission.js";
import { Call, type CallStart } from "./call.js";
import { inflight } from "./inflight.js";

/**
 * Starts one call: resolves its annotations at call time (the active scopes, then each header source as a scope
 * of its own: the client's defaults, then the request's), and asks the limit gate to admit it. Returns
 * undefined when costtrail is not running. Never throws: a block is in `call.admission` (see `admission.ts`).
 */
export function startCall(start: CallStart): Call | undefined {
  const runtime = getRuntime();
  if (!runtime) return undefined;
  const { annotations, hasAnnotationHeaders } = annotationsWith(start.headers);
  if (annotations.priceAsCategory !== undefined && annotations.priceAsResource === undefined) {
    log.warnOnce(
      `category-without-resource:${annotations.priceAsCategory}`,
      `priceAsCategory "${annotations.priceAsCategory}" is ignored without priceAsResource`,
    );
  }
  const call = new Call(runtime, start, annotations, runtime.pipeline.captureContexts());
  call.hasAnnotationHeaders = hasAnnotationHeaders;
  inflight.add(call);
  if (runtime.limits) admit(call, runtime.limits);
  return call;
}

/**
 * The annotations a request resolves to here and now: the active scopes, then each header source as a scope of
 * its own (the client's defaults, then the request's). Also used for requests that are not calls (a batch
 * created, its results read: docs/providers.md "Batch APIs").
 */
export function annotationsWith(headerSources: readonly unknown[]): {
  annotations: Annotations;
  hasAnnotationHeaders: boolean;
} {
  let scopes: ScopeAnnotations[] | undefined;
  let hasAnnotationHeaders = false;
  for (const headers of headerSources) {
    if (!headers) continue;
    const parsed = parseAnnotationHeaders(headers);
    if (parsed.names.length > 0) hasAnnotationHeaders = true;
    if (parsed.problem)
      log.warnOnce(`headers:${parsed.problem}`, `ignored a costtrail header: ${parsed.problem}`);
    if (parsed.scope) {
      scopes ??= [];
      scopes.push(parsed.scope);
    }
  }
  return { annotations: resolveAt(scopes), hasAnnotationHeaders };
}

const NO_SCOPES: readonly ScopeAnnotations[] = [];

/**
 * The call's annotations: the active scopes, then its header scopes. Headers that would push a merged list or
 * map past its cap are ignored, with a warning, like any unreadable header: the call must go through.
 */
function resolveAt(scopes: ScopeAnnotations[] | undefined): Annotations {
  if (!scopes) return resolveWith(NO_SCOPES);
  try {
    return resolveWith(scopes);
  } catch (error) {
    if (!(error instanceof AnnotationError)) throw error;
    log.warnOnce(`headers:${error.field}`, `ignored the costtrail headers of a call: ${error.message}`);
    return resolveWith(NO_SCOPES);
  }
}
