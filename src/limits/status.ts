import type { LimitDefinition } from "../types.js";

/**
 * A limit as `costtrail limits list` and the dashboard show it: its definition and where it stands in its
 * current window. Produced by `limitStatuses(db, now)` in `src/limits/` (over the ledger's limit tables).
 */
export interface LimitStatus extends LimitDefinition {
  /** ISO start of the current window (the epoch for `total`). */
  windowStart: string;
  /** ISO time the window resets; null for `total`. */
  resetsAt: string | null;
  /** Settled spend in the current window. */
  spentUsd: number;
  /** Reservations of calls in flight (not yet settled, not expired). */
  reservedUsd: number;
  remainingUsd: number;
  /** spent / max × 100. */
  pct: number;
  state: "ok" | "alert" | "exceeded";
  /** Calls this limit refused in the current window (events with status `blocked` naming it). */
  blocked: number;
  /** Where the definition comes from: `instrument({ limits })` (upserted at start) or the CLI. */
  source: "config" | "cli";
}
