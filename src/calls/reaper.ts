import { finishCall } from "./finish.js";
import { inflight } from "./inflight.js";

/** Sweeps per timeout: a call is reaped between 1 and 1¼ timeouts after its last sign of life. */
const SWEEPS = 4;

let timer: NodeJS.Timeout | undefined;

/**
 * Starts (or restarts with a new timeout: `instrument({ abandonedCallTimeoutMs })`, default 10 minutes) the sweep that finishes abandoned calls as `aborted` /
 * `Abandoned`, which settles their reservation with what they are known to have cost or releases it. One
 * unref'd timer for the process, no per-call timer: a call only flips a flag when something happens.
 */
export function startReaper(timeoutMs: number): void {
  stopReaper();
  const interval = Math.max(1, Math.floor(timeoutMs / SWEEPS));
  timer = setInterval(sweep, interval);
  timer.unref();
}

export function stopReaper(): void {
  if (timer) clearInterval(timer);
  timer = undefined;
}

function sweep(): void {
  for (const call of inflight) {
    if (call.touched) {
      call.touched = false;
      call.idleSweeps = 0;
    } else if (++call.idleSweeps > SWEEPS) {
      finishCall(call, "aborted", "Abandoned");
    }
  }
}

/** Calls still in flight at `shutdown()` (a stream never iterated, a promise never awaited) end here. */
export function finishAbandonedCalls(): void {
  for (const call of [...inflight]) finishCall(call, "aborted", "Abandoned");
}

/**
 * The process is ending (exit, SIGTERM, SIGINT) with calls still in flight: each is recorded as `aborted` /
 * `ProcessExit`; one that was sent gets its estimate (estimate.ts) — the input it sent and the output streamed
 * so far — since the provider may bill it (docs/ledger.md, "Exit").
 */
export function finishCallsAtExit(): void {
  for (const call of [...inflight]) finishCall(call, "aborted", "ProcessExit");
}
