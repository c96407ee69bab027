// A billable request of the OpenAI and Anthropic SDKs, seen where every request passes: the client's
// `request(options)` (behind `post`/`get`/`methodRequest`, which every resource method and a raw `client.post(…)`
// call, and a raw `client.request(…)`). A table of billable paths says what costs money, so any SDK method that
// posts to a known path is priced without new code (docs/providers.md "Call paths"). Translated into the call
// lifecycle: the request's slot on its async path → the SDK's own method → its resolved options described
// (prepareOptions) → calls/start → observe the APIPromise it returned. The user gets that APIPromise back,
// whatever happens.
import { type Call, type CallStart, startCall } from "../../calls/index.js";
import { log } from "../../log.js";
import { getRuntime } from "../../runtime.js";
import { observeApiPromise } from "./api-promise.js";
import { type BatchRoute, matchBatchRequest } from "./batch-request.js";
import type { BillableRequest, BillableTable } from "./billable.js";
import { setStreamObserver } from "./event-stream-body.js";
import { normalisePath, sdkHeaders } from "./request-options.js";
import { type RequestSlot, requestSlots } from "./request-slot.js";

export { type BillableRequest, type BillableTable, billableTable } from "./billable.js";

/** The table's row for a request's resolved options, if it is billable (a POST to a known path). */
function billableRow(table: BillableTable, method: unknown, path: unknown): BillableRequest | undefined {
  // The SDKs' resource methods say "post": compared as it is before any case is folded.
  if (method !== "post" && (typeof method !== "string" || method.toLowerCase() !== "post")) return undefined;
  const key = normalisePath(path);
  return key === undefined ? undefined : table.get(key);
}

/**
 * Wraps the client's `request(options, …)`, which every request passes through (`post`/`get` via
 * `methodRequest`, a raw `client.request(…)`): the request gets a slot on its async path and its APIPromise is
 * observed; the call itself starts once the SDK has resolved the options (`startBillableCall`).
 */
export function wrapRequest(
  table: BillableTable,
  sdkError: CallStart["sdkError"],
  batchRoutes: readonly BatchRoute[] = [],
) {
  return (original: (this: any, ...args: any[]) => any) =>
    function request(this: any, ...args: any[]): any {
      if (!getRuntime()) return Reflect.apply(original, this, args);
      // Every field from the start: one object shape for every request.
      const slot: RequestSlot = {
        table,
        sdkError,
        batchRoutes,
        batch: undefined,
        call: undefined,
        observer: undefined,
        resolved: false,
        scanHeaders: true,
      };
      // A raw request's options are the user's object: the SDK's hooks may set a changed body on a copy only.
      const options = args[0];
      if (options && typeof options === "object" && typeof options.then !== "function")
        args[0] = { ...options };
      const result = requestSlots.run(slot, original, this, args);
      try {
        observeApiPromise(result, slot);
      } catch (error) {
        log.internalFailure("response", error);
      }
      return result;
    };
}

/**
 * Called with the SDK's resolved options (`prepareOptions`, before the first attempt): starts the call when the
 * table has a row for them, and sets the body the SDK sends when the row changes it (on the SDK's own options
 * object, never the user's body). Returns the call, if one started.
 */
export function startBillableCall(slot: RequestSlot, client: any, options: any): Call | undefined {
  if (slot.resolved) return slot.call;
  slot.resolved = true;
  const row = options && billableRow(slot.table, options.method, options.path);
  if (!row) {
    if (slot.batchRoutes.length > 0) {
      try {
        slot.batch = matchBatchRequest(slot.batchRoutes, client, options);
      } catch (error) {
        log.internalFailure("batch-request", error);
      }
    }
    return undefined;
  }
  const body = options.body;
  try {
    // `describe` makes a new object per call: completed in place rather than copied.
    const start = row.describe(client, body ?? {}) as CallStart;
    start.headers = [client?._options?.defaultHeaders, sdkHeaders(options.headers)];
    start.sdkError = slot.sdkError;
    const call = startCall(start);
    if (!call) return undefined;
    let observer = row.observer;
    if (row.prepare && body && typeof body === "object") {
      const prepared = row.prepare(body);
      if (prepared) {
        observer = prepared.observer;
        if (prepared.body !== body) options.body = prepared.body;
      }
    }
    slot.call = call;
    slot.observer = observer;
    slot.scanHeaders =
      call.hasAnnotationHeaders ||
      options.fetchOptions?.headers !== undefined ||
      client?.fetchOptions?.headers !== undefined;
    if (call.start.stream) setStreamObserver(call, observer, observer.rewritesItems === true);
    return call;
  } catch (error) {
    log.internalFailure("request", error);
    return slot.call;
  }
}
