import { log } from "../log.js";
import type { LimitAlert } from "../types.js";
import type { Limit } from "./definition.js";

/** The thresholds a limit alerts at, ascending: its `alertAtPct` (if any) and 100. */
export function thresholdsOf(limit: Limit): number[] {
  return limit.alertAtPct !== undefined && limit.alertAtPct < 100 ? [limit.alertAtPct, 100] : [100];
}

/** True once `spent` is at or past `thresholdPct` % of the limit (nothing spent never alerts, even at $0). */
export function reached(limit: Limit, spentMicros: number, thresholdPct: number): boolean {
  return spentMicros > 0 && spentMicros * 100 >= thresholdPct * limit.maxMicros;
}

/**
 * Logs the alert as a warning and hands it to `onLimitAlert`; a throwing callback is logged, never propagated.
 * `refused`: the alert is a block limit's 100 % because it refused its first call of the window (its settled
 * spend can stay below max: the call that would have crossed it was not sent).
 */
export function fireAlert(
  alert: LimitAlert,
  onLimitAlert: ((alert: LimitAlert) => void) | undefined,
  refused = false,
): void {
  const per = alert.window === "total" ? "in total" : `per ${alert.window}`;
  const what = refused
    ? "is refusing calls: it is at"
    : alert.thresholdPct >= 100
      ? "reached"
      : `crossed ${alert.thresholdPct}% of`;
  log.warn(
    `limit "${alert.limitId}" ${what} its $${alert.maxUsd} ${per} ` +
      `($${alert.spentUsd.toFixed(6)} spent in the window from ${alert.windowStart})`,
  );
  if (!onLimitAlert) return;
  try {
    onLimitAlert(alert);
  } catch (error) {
    log.errorOnce("onLimitAlert", "onLimitAlert callback threw; the call itself was not affected", error);
  }
}
