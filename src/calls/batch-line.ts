// One result line of a batch (OpenAI Batch API, Anthropic Message Batches) as a usage event. The provider ran
// the request long before costtrail sees its result, so there is no call to admit or time: a line is a Call
// made only to collect usage with the adapters' own observers, then finished here with an id derived from the
// line, so reading the same results twice, here or in another process, is one event (docs/providers.md
// "Batch APIs", docs/pricing.md "Batch APIs").
import { createHash } from "node:crypto";
import { log } from "../log.js";
import type { Runtime } from "../runtime.js";
import { getRuntime } from "../runtime.js";
import type { Annotations, EventStatus } from "../types.js";
import { Call, type CallStart } from "./call.js";
import { buildEvent } from "./finish.js";

/** What an adapter says about a batch line before reading its usage. */
export type BatchLineStart = Pick<CallStart, "provider" | "operation" | "requestModel">;

export interface BatchLineEnd {
  /** The line's event id (`batchEventId`). */
  id: string;
  /** When the provider served it, as well as it is known (prices are dated). */
  at: Date;
  status: EventStatus;
  errorType?: string | undefined;
  httpStatus?: number | undefined;
  /** The request was never sent to a model (expired, canceled): 0 attempts. */
  unsent?: boolean;
}

/**
 * A deterministic event id for a batch line: a UUID (RFC 9562 version 8, custom) of the SHA-256 of the
 * parts that name the line. The same line read again gets the same id, which the ledgers insert once.
 */
export function batchEventId(...parts: string[]): string {
  const hash = createHash("sha256").update(parts.join("\0")).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A Call collecting one batch line's usage (`reportUsage`, `responseModel`); undefined when not running. */
export function startBatchLine(start: BatchLineStart, annotations: Annotations): Call | undefined {
  const runtime = getRuntime();
  if (!runtime) return undefined;
  const full: CallStart = { ...start, stream: false, headers: [], estimateInputTokens: () => 0 };
  return new Call(runtime, full, annotations, runtime.pipeline.captureContexts());
}

/** Event ids of batch lines this runtime emitted: a second read in the same process emits nothing. */
const emitted = new WeakMap<Runtime, Set<string>>();
/** Bounds that memory; beyond it the ledger's idempotent insert still keeps one row per line. */
const MAX_REMEMBERED = 100_000;

/**
 * Finishes a batch line: usage billed at the batch rate (`usage.batch`), priced like any call (a line the
 * provider did not answer, errored, expired or canceled, costs 0). Once per id per runtime; the ledger keeps
 * one row per id across processes.
 */
export function finishBatchLine(call: Call, end: BatchLineEnd): void {
  if (call.done) return;
  call.done = true;
  try {
    let seen = emitted.get(call.runtime);
    if (!seen) {
      seen = new Set();
      emitted.set(call.runtime, seen);
    }
    if (seen.has(end.id)) return;
    if (seen.size >= MAX_REMEMBERED) seen.clear();
    seen.add(end.id);
    call.usage.batch = true;
    if (end.httpStatus !== undefined) call.httpStatus = end.httpStatus;
    const event = buildEvent(call, end.status, end.errorType, end.at);
    event.id = end.id;
    event.durationMs = 0;
    if (end.unsent) event.attempts = 0;
    // A line the provider did not answer is priced at 0 (src/pricing/event-price.ts).
    const price = call.runtime.price;
    if (price) Object.assign(event, price(event, end.at));
    call.runtime.pipeline.emit(event, call.contexts);
  } catch (error) {
    log.internalFailure("batch-event", error);
  }
}
