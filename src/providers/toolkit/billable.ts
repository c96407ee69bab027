// What a billable request is, for the Stainless SDKs (OpenAI, Anthropic): a row of a provider's table of
// billable paths, and how its results are read.
import type { Call, CallStart, StreamObserver } from "../../calls/index.js";

/** How an adapter reads one billable method's results: the parsed body, or each stream item. */
export interface ResultObserver extends StreamObserver {
  /** A parsed non-stream result: report usage and model. */
  onResult(result: any, call: Call): void;
  /** `onItem` changes what the user sees (hides what costtrail asked for): stream events are written back. */
  rewritesItems?: boolean;
}

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
