import type { EventStatus } from "../types.js";
import type { Call } from "./call.js";

/** An adapter's input estimate, never throwing, never negative. */
export function safeEstimate(estimate: () => number): number {
  try {
    return Math.max(0, Math.round(estimate()));
  } catch {
    return 0;
  }
}

/** Error names of an attempt that was sent and timed out waiting (the SDKs', fetch's, Bedrock's). */
const TIMED_OUT = /timeout|timedout/i;

/** Calls ended by costtrail itself while the provider was still answering (reaper.ts). */
const ENDED_IN_FLIGHT = new Set(["Abandoned", "ProcessExit"]);

/**
 * How many attempts of a failed call the provider may have billed without reporting usage: those that timed
 * out or were aborted in flight, and the one whose stream (or response head) arrived but ended before its usage.
 */
function unreportedAttempts(call: Call, errorType: string | undefined): number {
  let unanswered = call.unansweredAttempts;
  // Bedrock's SDK retries inside send(): its timeout shows only as the final error.
  if (unanswered === 0 && call.attempts > 0 && TIMED_OUT.test(errorType ?? "")) unanswered = 1;
  const answered = call.streamedItems > 0 || (errorType !== undefined && ENDED_IN_FLIGHT.has(errorType));
  // Bedrock learns its attempt count only from a response: 0 there means "not known yet", not "not sent".
  return unanswered + (answered && (call.attempts === 0 || call.attempts > unanswered) ? 1 : 0);
}

/**
 * A call that failed without the provider's usage but may have been billed gets an estimate, so its spend is
 * never recorded as zero: the input it sent (estimated from the request) once per attempt that may have been
 * billed, and the output it streamed. Returns whether `call.usage` is now an estimate; the event is then
 * flagged `costSource: "estimated"` (docs/pricing.md "Estimated costs").
 */
export function estimateUnreportedUsage(
  call: Call,
  status: EventStatus,
  errorType: string | undefined,
): boolean {
  // A reply the provider finished whose stream stopped before its usage chunk (issue 18 item 12) is ok, and
  // estimated the same way.
  const finishedUnreported = status === "ok" && call.replyComplete && !call.usageReported;
  if (status !== "error" && status !== "aborted" && !finishedUnreported) return false;
  const streamed = streamedOutput(call);
  if (call.usageReported) {
    // Usage reported at the start (Anthropic's message_start: exact input, output 1): measured, and the output
    // is at least what was streamed (docs/providers.md "Ending early").
    if (call.usage.outputTokens < streamed) call.usage.outputTokens = streamed;
    return false;
  }
  const attempts = finishedUnreported ? call.unansweredAttempts + 1 : unreportedAttempts(call, errorType);
  if (attempts === 0) return false;
  call.usage.inputTokens = safeEstimate(call.start.estimateInputTokens) * attempts;
  call.usage.outputTokens = streamed;
  return true;
}

/** Output streamed: one token per content item, or ≈ 4 characters per token of its text, whichever is more. */
function streamedOutput(call: Call): number {
  return Math.max(call.streamedItems, Math.ceil(call.streamedChars / 4));
}

/** Input tokens the unanswered attempts before an answered retry may have been billed for (0: none). */
export function lostAttemptsInput(call: Call): number {
  if (call.unansweredAttempts === 0) return 0;
  return safeEstimate(call.start.estimateInputTokens) * call.unansweredAttempts;
}
