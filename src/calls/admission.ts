import { limitErrorFor } from "../errors.js";
import { DEFAULT_RESERVED_OUTPUT_TOKENS, type LimitGate, type LimitHold } from "../limits/gate.js";
import { log } from "../log.js";
import type { UsageEvent } from "../types.js";
import { type Call, zeroUsage } from "./call.js";
import { safeEstimate } from "./estimate.js";
import { finishCall } from "./finish.js";
import { isLimitExceeded } from "./outcome.js";

/**
 * Asks the limit gate to reserve the call's worst-case cost. A gate that answers from memory answers now: the
 * call holds its reservation (or is refused) before this returns, with no promise made. A gate that must ask
 * its store returns a promise: `call.admission` holds it until it settles, and the adapter makes the SDK wait
 * on it before the first attempt is sent (`pendingAdmission`). A refusal records the `blocked` event at once.
 */
export function admit(call: Call, gate: LimitGate): void {
  let answer: LimitHold | undefined | Promise<LimitHold | undefined>;
  try {
    const worst = worstCase(call);
    answer = gate.reserve({
      annotations: call.annotations,
      provider: call.start.provider,
      requestModel: call.start.requestModel,
      reserveMicros: worst.costMicros ?? 0,
      reserveNanos: worst.costNanos ?? undefined,
    });
  } catch (error) {
    refuse(call, error);
    return;
  }
  if (answer && typeof (answer as Promise<unknown>).then === "function") {
    const admission = (answer as Promise<LimitHold | undefined>).then(
      (hold) => {
        call.admission = undefined;
        if (call.done) hold?.release();
        else call.hold = hold;
      },
      (error: unknown) => {
        call.admission = undefined;
        refuse(call, error);
        if (call.admission) return call.admission;
      },
    );
    // Awaited by the SDK on the first attempt; a call abandoned before that must not raise an unhandled rejection.
    admission.catch(() => {});
    call.admission = admission;
  } else call.hold = answer as LimitHold | undefined;
}

/**
 * What the SDK must wait for before it sends the call's first attempt: undefined when the call may go now (the
 * hot path: nothing to await), else a promise that resolves once admitted or rejects with the block error, as
 * an instance of the SDK's own base error class.
 */
export function pendingAdmission(call: Call): Promise<void> | undefined {
  return call.admission;
}

/** A block: record the `blocked` event and keep the rejection the SDK will hand the user. Anything else is ours. */
function refuse(call: Call, error: unknown): void {
  if (!isLimitExceeded(error)) {
    // The gate failed (not a block): the call goes on, unlimited, and it is said once.
    log.internalFailure("limits-reserve", error);
    return;
  }
  call.limitsExceeded.push(error.limitId);
  finishCall(call, "blocked", "LimitExceededError");
  const rejection = Promise.reject(limitErrorFor(error, call.start.sdkError));
  // The call is recorded already; a caller who never awaits is not crashed by an unhandled rejection.
  rejection.catch(() => {});
  call.admission = rejection;
}

/** The call's worst-case cost, priced like its event will be (micro-USD rounded up, and exact nano-USD). */
function worstCase(call: Call): { costMicros: number | null; costNanos?: number | null | undefined } {
  const { start } = call;
  const at = new Date(call.startedAt);
  // Priced at `at`: the probe's `ts` is never formatted (a Date is what the pricer reads).
  const probe = {
    provider: start.provider,
    requestModel: start.requestModel,
    ts: "",
    annotations: call.annotations,
    usage: {
      ...zeroUsage(),
      inputTokens: safeEstimate(start.estimateInputTokens),
      outputTokens: start.maxOutputTokens ?? DEFAULT_RESERVED_OUTPUT_TOKENS,
    },
  } as UsageEvent;
  return call.runtime.price?.(probe, at) ?? { costMicros: 0 };
}
