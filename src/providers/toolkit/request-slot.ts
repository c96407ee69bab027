import type { Call, CallStart } from "../../calls/index.js";
import { asyncSlot } from "../../context/async-slot.js";
import type { BatchRequest, BatchRoute } from "./batch-request.js";
import type { BillableTable, ResultObserver } from "./billable.js";

/**
 * One request of a Stainless client, from `request()` to its response. The SDK resolves the request's options
 * (method, path, body) only later — openai ≥ 7 hands even its resource methods' options over as a promise — so
 * the call is started once they are known, in `prepareOptions` (see sdk-client.ts), and found here by the
 * hooks that observe the APIPromise made at `request()` time and the per-attempt `fetchWithTimeout`.
 */
export interface RequestSlot {
  table: BillableTable;
  sdkError: CallStart["sdkError"];
  /** The batch endpoints the adapter reads (batch-request.ts). */
  batchRoutes: readonly BatchRoute[];
  /** Set once the options are known, for a request to a batch endpoint (not a call). */
  batch?: BatchRequest | undefined;
  /** Set once the options are known: the table had a row for them (and costtrail was running). */
  call?: Call | undefined;
  observer?: ResultObserver | undefined;
  /** The options were looked at (whether or not they were billable): later attempts do not look again. */
  resolved?: boolean;
  /**
   * Each attempt's headers are searched for `x-costtrail-*` ones to strip. Cleared only for a call whose header
   * sources (the request's, the client's defaults: docs/providers.md "Headers") carry none and whose
   * `fetchOptions` set no headers: the SDK builds the rest itself (searching the built `Headers` was 1–5 µs a call).
   */
  scanHeaders: boolean;
}

/** The request whose SDK work is running now. */
export const requestSlots = asyncSlot<RequestSlot>();
