// Batch requests of the Stainless SDKs (OpenAI's Batch API and Files, Anthropic's Message Batches): not calls
// themselves, but what tells costtrail about batches (created, retrieved) and the result files whose lines each
// become an event (docs/providers.md "Batch APIs"). Recognised by method and path once the SDK has resolved the
// options, like billable requests; the SDK's objects and the bodies it reads stay its own.
import { annotationsWith } from "../../calls/index.js";
import { log } from "../../log.js";
import type { Annotations } from "../../types.js";
import { sdkHeaders } from "./request-options.js";

/** One batch endpoint an adapter reads. */
export interface BatchRoute {
  method: "get" | "post";
  /** Over the path without its query (an absolute URL's path: Anthropic's `results_url`); groups are params. */
  pattern: RegExp;
  /** The parsed answer (a batch object): what it says about the batch. */
  onResult?(result: any, request: BatchRequest): void;
  /**
   * Before the request is sent (awaited in prepareOptions): what must be known to attribute its answer (the
   * ledger's creation scope of the batch, from Postgres). Never rejects.
   */
  prepare?(request: BatchRequest): Promise<void> | undefined;
  /**
   * The body is a JSONL results file: each line, as the SDK or the user reads it. Returns false when the
   * file is not a batch's results (the rest of it is then passed on unread).
   */
  onLine?(line: unknown, request: BatchRequest): boolean;
}

/** A request matched to a batch route. */
export interface BatchRequest {
  route: BatchRoute;
  /** The pattern's groups, decoded (batch id, file id). */
  params: string[];
  client: any;
  /** The annotations in force where the request was made. */
  annotations: Annotations;
}

/** The route a request's resolved options match, with what it needs from the request; undefined if none. */
export function matchBatchRequest(
  routes: readonly BatchRoute[],
  client: any,
  options: any,
): BatchRequest | undefined {
  const method = typeof options?.method === "string" ? options.method.toLowerCase() : undefined;
  const path = pathOf(options?.path);
  if (!method || path === undefined) return undefined;
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    const params = match.slice(1).map((p) => safeDecode(p ?? ""));
    const headers = [client?._options?.defaultHeaders, sdkHeaders(options.headers)];
    return { route, params, client, annotations: annotationsWith(headers).annotations };
  }
  return undefined;
}

/** The longest a results request waits for the ledger's answer before it is sent anyway. */
const PREPARE_WAIT_MS = 2_000;

/** What a request waits for before it is sent (`BatchRoute.prepare`), at most 2 s; resolves, never rejects. */
export function prepareBatchRequest(request: BatchRequest): Promise<void> | undefined {
  let pending: Promise<void> | undefined;
  try {
    pending = request.route.prepare?.(request);
  } catch (error) {
    log.internalFailure("batch-request", error);
  }
  if (!pending) return undefined;
  const waiting = pending;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, PREPARE_WAIT_MS);
    timer.unref?.();
    waiting.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

function pathOf(path: unknown): string | undefined {
  if (typeof path !== "string") return undefined;
  if (/^[a-z]+:\/\//i.test(path)) {
    try {
      return new URL(path).pathname;
    } catch {
      return undefined;
    }
  }
  const query = path.search(/[?#]/);
  const p = query >= 0 ? path.slice(0, query) : path;
  return p.startsWith("/") ? p : `/${p}`;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
