// A billable request of the OpenAI and Anthropic SDKs, seen where every request passes: the client's
// `methodRequest(method, path, opts)` (behind `post`/`get`, which every resource method and a raw
// `client.post(…)` call) and `request(options)` (a raw `client.request({ method, path, … })`). A table of billable
// paths says what costs money, so any SDK method that posts to a known path is priced without new code
// (docs/providers.md "Call paths"). Translated into the call lifecycle: describe the request → calls/start → the
// SDK's own method, with the call on its async path → observe the APIPromise it returns. The user gets that
// APIPromise back, whatever happens.
import { type Call, type CallStart, failCall, runWithCall, startCall } from "../../calls/index.js";
import { log } from "../../log.js";
import { observeApiPromise, type ResultObserver } from "./api-promise.js";
import { setStreamObserver } from "./event-stream-body.js";

/** One row of a provider's table of billable paths: what a billable request is and how its results are read. */
export interface BillableRequest {
  /** The SDK surface, for messages (`chat.completions`). */
  label: string;
  /** The POST path the SDK's resource methods send it to, without query (`/chat/completions`, `/v1/messages`). */
  path: string;
  describe(client: any, body: any): Omit<CallStart, "headers" | "sdkError">;
  /** May return a changed copy of the body (never mutate the user's) and the observer that fits it. */
  prepare?(body: any): { body: any; observer: ResultObserver };
  observer: ResultObserver;
}

export type BillableTable = ReadonlyMap<string, BillableRequest>;

export function billableTable(rows: readonly BillableRequest[]): BillableTable {
  return new Map(rows.map((row) => [row.path, row]));
}

/**
 * Request headers as a resource method hands them on: the user's object, or the SDK's `buildHeaders()` result
 * (`{ values: Headers, nulls }`, what Anthropic's messages methods pass), read through its `values`.
 */
function sdkHeaders(headers: any): unknown {
  return headers &&
    typeof headers === "object" &&
    typeof headers.values?.forEach === "function" &&
    headers.nulls
    ? headers.values
    : headers;
}

/** `/v1/messages?beta=true`, `v1/messages`, `https://host/v1/messages` → `/v1/messages` as the table has it. */
function normalisePath(path: unknown): string | undefined {
  if (typeof path !== "string") return undefined;
  let p = path;
  const query = p.search(/[?#]/);
  if (query >= 0) p = p.slice(0, query);
  if (/^[a-z]+:\/\//i.test(p)) return undefined; // an absolute URL: not the client's own API
  return p.startsWith("/") ? p : `/${p}`;
}

/** The table's row for a request, if it is billable (a POST to a known path with a plain options object). */
function billableRow(table: BillableTable, method: unknown, path: unknown, opts: unknown) {
  if (typeof method !== "string" || method.toLowerCase() !== "post") return undefined;
  if (
    opts !== undefined &&
    (opts === null || typeof opts !== "object" || typeof (opts as any).then === "function")
  )
    return undefined; // options still to be resolved: not a path this table can read (docs/providers.md)
  const key = normalisePath(path);
  return key === undefined ? undefined : table.get(key);
}

/**
 * Starts the call for a billable request and runs the SDK's `original` with it on its async path. `optsIndex`
 * is where the options object is in `args` (it is replaced by a copy when the body must change).
 */
function instrumentedRequest(
  row: BillableRequest,
  sdkError: CallStart["sdkError"],
  client: any,
  original: (this: any, ...args: any[]) => any,
  args: any[],
  optsIndex: number,
): any {
  const opts = args[optsIndex] as { body?: unknown; headers?: unknown } | undefined;
  const body = opts?.body;
  let call: Call | undefined;
  let sentBody = body;
  let observer = row.observer;
  try {
    const headers = [client?._options?.defaultHeaders, sdkHeaders(opts?.headers)];
    call = startCall({ ...row.describe(client, body ?? {}), headers, sdkError });
    if (call && row.prepare && body && typeof body === "object")
      ({ body: sentBody, observer } = row.prepare(body));
  } catch (error) {
    log.internalFailure("request", error);
  }
  if (!call) return Reflect.apply(original, client, args);
  if (sentBody !== body) args[optsIndex] = { ...opts, body: sentBody };
  if (call.start.stream) setStreamObserver(call, observer, observer.rewritesItems === true);
  let result: any;
  try {
    result = runWithCall(call, original, client, args);
  } catch (error) {
    failCall(call, error);
    throw error;
  }
  try {
    observeApiPromise(result, call, observer);
  } catch (error) {
    log.internalFailure("response", error);
  }
  return result;
}

/** Wraps the client's `methodRequest(method, path, opts)`. */
export function wrapMethodRequest(table: BillableTable, sdkError: CallStart["sdkError"]) {
  return (original: (this: any, ...args: any[]) => any) =>
    function methodRequest(this: any, ...args: any[]): any {
      const row = billableRow(table, args[0], args[1], args[2]);
      if (!row) return Reflect.apply(original, this, args);
      return instrumentedRequest(row, sdkError, this, original, args, 2);
    };
}

/**
 * Wraps the client's `request(options, …)`: a raw `client.request({ method: "post", path, body })`. The SDK's
 * own `methodRequest` hands it a promise of options, which is never read here (that request is already a call).
 */
export function wrapRequest(table: BillableTable, sdkError: CallStart["sdkError"]) {
  return (original: (this: any, ...args: any[]) => any) =>
    function request(this: any, ...args: any[]): any {
      const options = args[0];
      const row =
        options && typeof options === "object" && typeof options.then !== "function"
          ? billableRow(table, options.method, options.path, options)
          : undefined;
      if (!row) return Reflect.apply(original, this, args);
      return instrumentedRequest(row, sdkError, this, original, args, 0);
    };
}
