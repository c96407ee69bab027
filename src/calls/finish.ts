import { log } from "../log.js";
import type { EventStatus, UsageEvent } from "../types.js";
import { type Call, zeroUsage } from "./call.js";
import { estimateUnreportedUsage, lostAttemptsInput } from "./estimate.js";
import { inflight } from "./inflight.js";
import { classifyError } from "./outcome.js";

/** A failed call: its status and error type come from the error (a user abort is `aborted`, not `error`). */
export function failCall(call: Call, error: unknown): void {
  const { status, httpStatus, errorType } = classifyError(error);
  call.httpStatus = httpStatus ?? call.httpStatus;
  finishCall(call, status, errorType);
}

/**
 * The one way a call ends. Every path — result parsed, stream ended, broken, aborted or abandoned, request
 * failed after retries, blocked — lands here; only the first counts. Builds the event once, prices it, settles
 * the call's reservation with the real cost (or gives it back when nothing was billed), and emits it.
 */
export function finishCall(call: Call, status: EventStatus, errorType?: string): void {
  if (call.done) return;
  call.done = true;
  // A finished call's stream need not be watched any more: unregistered now, the registry keeps nothing of it
  // (a registration is only dropped by a full GC after its stream is collected, the call held till then).
  stopWatching(call);
  // Stopped after the provider's whole reply arrived (before the usage chunk costtrail asked for, say): the
  // provider completed and billed it, so the call is ok (issue 18 item 12).
  if (status === "aborted" && call.replyComplete) {
    status = "ok";
    errorType = undefined;
  }
  inflight.delete(call);
  try {
    // The start time goes to the pricer as epoch ms: a Date is made only where one is needed (a new second for
    // `ts`, dated or calcPrice-priced models), not one per call.
    const at = call.startedAt;
    const event = buildEvent(call, status, errorType);
    const price = call.runtime.price;
    if (price) {
      const priced = price(event, at);
      // Assigned field by field (what Object.assign of the price did, without its generic copy).
      event.costMicros = priced.costMicros;
      event.costNanos = priced.costNanos;
      event.costSource = priced.costSource;
      if (priced.costBreakdown !== undefined) event.costBreakdown = priced.costBreakdown;
      if (priced.priceSource !== undefined) event.priceSource = priced.priceSource;
      const lostInput = event.costSource === "estimated" ? 0 : lostAttemptsInput(call);
      if (lostInput > 0) {
        // Earlier attempts timed out unanswered before this one was: priced apart, never mixed into costNanos.
        const lost = { ...event, usage: { ...zeroUsage(), inputTokens: lostInput }, costSource: "estimated" };
        const nanos = price(lost as UsageEvent, at).costNanos;
        if (nanos) event.estimatedNanos = nanos;
      }
    }
    if (call.hold) endReservation(call, event);
    call.runtime.pipeline.emit(event, call.contexts);
  } catch (error) {
    log.internalFailure("event", error);
  }
}

/**
 * Calls whose stream object the user dropped without reading or closing it: once the garbage collector takes
 * that object, nobody can ever read the stream, so the call ends as `aborted` / `Abandoned`, like the reaper
 * would end it later — its reservation released (or settled with what it is known to have cost) at once
 * (docs/limits.md, "Calls nobody finishes"). The registry holds the call, never the stream, and only until the
 * call finishes.
 */
const collection = new FinalizationRegistry<Call>((call) => {
  if (!call.done) finishCall(call, "aborted", "Abandoned");
});

/**
 * Ends `call` when `target` (a stream, an iterator the user took from it, or the body being read) is
 * garbage-collected first.
 */
export function finishWhenCollected(target: object, call: Call): void {
  if (call.done) return;
  call.watched = true;
  collection.register(target, call, call);
}

/** What was watched for `call` is in use again (its iterator or body is being read), or the call is finished. */
export function stopWatching(call: Call): void {
  if (!call.watched) return;
  call.watched = false;
  collection.unregister(call);
}

/**
 * Settles the reservation with the event's cost; a call that failed or was abandoned with nothing billed
 * releases it instead. Allow limits the settlement pushed over are flagged on the event.
 */
function endReservation(call: Call, event: UsageEvent): void {
  const hold = call.hold!;
  call.hold = undefined;
  try {
    if (event.status !== "ok" && !event.costMicros) {
      hold.release();
      return;
    }
    // Attempts that timed out before the answered retry may be billed too: they count against the budget.
    const extra = event.estimatedNanos ?? 0;
    const nanos = extra > 0 ? (event.costNanos ?? 0) + extra : event.costNanos;
    const micros = extra > 0 && nanos != null ? Math.ceil(nanos / 1000) : event.costMicros;
    for (const id of hold.settle(micros, nanos)) {
      if (!event.limitsExceeded.includes(id)) event.limitsExceeded.push(id);
    }
  } catch (error) {
    log.internalFailure("limits-settle", error);
  }
}

export function buildEvent(
  call: Call,
  status: EventStatus,
  errorType: string | undefined,
  at?: Date,
): UsageEvent {
  const { start } = call;
  const estimated = estimateUnreportedUsage(call, status, errorType);
  const event: UsageEvent = {
    id: call.id,
    ts: isoAt(call.startedAt, at),
    durationMs: Math.round((performance.now() - call.t0) * 1000) / 1000,
    provider: start.provider,
    operation: start.operation,
    requestModel: start.requestModel,
    stream: start.stream,
    status,
    attempts: attemptsOf(call, status, errorType),
    usage: call.usage,
    costMicros: null,
    currency: "USD",
    // The pricer keeps "estimated" on a priced estimate (event-price.ts).
    costSource: estimated ? "estimated" : "unpriced",
    annotations: call.annotations,
    // A copy: settling may add to the event's list.
    limitsExceeded: call.limitsExceeded.length === 0 ? [] : call.limitsExceeded.slice(),
  };
  if (call.ttftMs !== undefined) event.ttftMs = Math.round(call.ttftMs * 1000) / 1000;
  if (call.responseModel) event.responseModel = call.responseModel;
  if (call.httpStatus !== undefined) event.httpStatus = call.httpStatus;
  if (errorType) event.errorType = errorType;
  if (call.usageIssues) event.usageIssues = [...call.usageIssues];
  return event;
}

/**
 * The call's start as `ts` (`Date#toISOString()`): calls that start in the same millisecond share one string,
 * and within one second only the milliseconds are written (`toISOString` costs ~0.5 µs a call). `at` is the
 * start as a Date when the caller has one (otherwise one is made only when a new second is formatted).
 */
let lastMs = Number.NaN;
let lastIso = "";
/** The start of the second last formatted in full, and its text up to the milliseconds (`…T11:22:46.`). */
let secondMs = Number.NaN;
let secondText = "";
const MILLIS = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, "0")}Z`);
export function isoAt(ms: number, at?: Date): string {
  if (ms === lastMs) return lastIso;
  const second = Math.floor(ms / 1000) * 1000;
  const millis = second === secondMs ? MILLIS[ms - second] : undefined;
  if (millis !== undefined) lastIso = secondText + millis;
  else {
    lastIso = (at ?? new Date(ms)).toISOString();
    // The common form only (years 0–9999, whole milliseconds): anything else is formatted in full each time.
    const standard = lastIso.length === 24 && Number.isInteger(ms);
    secondMs = standard ? second : Number.NaN;
    secondText = standard ? lastIso.slice(0, 20) : "";
  }
  lastMs = ms;
  return lastIso;
}

/**
 * Requests sent. Adapters that count attempts (the Stainless SDKs' per-attempt hook, Bedrock's metadata) know
 * it exactly: a blocked call and one aborted before it was sent made none. Otherwise a call that ran made one.
 */
function attemptsOf(call: Call, status: EventStatus, errorType: string | undefined): number {
  if (status === "blocked") return call.attempts;
  if (
    status === "aborted" &&
    call.attempts === 0 &&
    (errorType === "APIUserAbortError" || errorType === "AbortError")
  )
    return 0;
  return Math.max(call.attempts, 1);
}
