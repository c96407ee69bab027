// What a billable request is, for the Stainless SDKs (OpenAI, Anthropic): a row of a provider's table of
// billable paths, and how its results are read.
import type { Call, CallStart, StreamItem, StreamObserver } from "../../calls/index.js";

/** How an adapter reads one billable method's results: the parsed body, or each stream item. */
export interface ResultObserver extends StreamObserver {
  /** A parsed non-stream result: report usage and model. */
  onResult(result: any, call: Call): void;
  /** `onItem` changes what the user sees (hides what costtrail asked for): stream events are written back. */
  rewritesItems?: boolean;
  /**
   * A pre-check of a streamed body's events, made per stream: most events carry nothing `onItem` reads, and
   * telling so from their text spares parsing them (toolkit/event-text.ts). Not used when `rewritesItems`
   * (every event is then parsed and written back).
   */
  textPrecheck?(): TextPrecheck;
}

/** One stream's pre-check of its events' JSON text (`data`), before they are parsed. */
export interface TextPrecheck {
  /**
   * The event's kind when its text shows it carries nothing `onItem` would read and is no error (then it is not
   * parsed at all), else undefined. Must agree exactly with `onItem` and the error check on the parsed event.
   */
  kind(data: string, call: Call): StreamItem | undefined;
  /** An event the pre-check did not answer for, parsed and read by `onItem`: what it may learn from. */
  parsed?(data: string, item: unknown, call: Call): void;
  /**
   * The SSE events from `from` in the received `text`, read in place while each is one `data: {…}` line of
   * content `kind` answers for: its output text counted as `kind` counts it and its item counted too
   * (`call.sawItem(true)`). Returns where the first event it does not read starts (`from` when none).
   */
  contentRun?(text: string, from: number, call: Call): number;
}

/** One row of a provider's table of billable paths: what a billable request is and how its results are read. */
export interface BillableRequest {
  /** The SDK surface, for messages (`chat.completions`). */
  label: string;
  /** The POST path the SDK's resource methods send it to, without query (`/chat/completions`, `/v1/messages`). */
  path: string;
  /** A new object each time (the caller completes it in place). */
  describe(client: any, body: any): Omit<CallStart, "headers" | "sdkError">;
  /**
   * May return a changed copy of the body (never mutate the user's) and the observer that fits it; undefined:
   * the body is sent as it is, read by `observer` (most calls: nothing made per call to say so).
   */
  prepare?(body: any): { body: any; observer: ResultObserver } | undefined;
  observer: ResultObserver;
}

export type BillableTable = ReadonlyMap<string, BillableRequest>;

export function billableTable(rows: readonly BillableRequest[]): BillableTable {
  return new Map(rows.map((row) => [row.path, row]));
}
