import type { Database } from "better-sqlite3";
import { isPostgresConnection } from "../ledger/reader.js";
import { microsToUsd, toDefinition } from "./definition.js";
import type { LimitStatus } from "./status.js";
import { readLimits, type StoredLimit } from "./store.js";
import { windowEnd, windowStart } from "./windows.js";

const SPENT = "SELECT spent_micros FROM limit_spend WHERE limit_id = ? AND window_start_ms = ?";
// Only live leases count: a reservation past expires_ms belongs to a process that died mid-call.
const RESERVED = `SELECT coalesce(sum(micros), 0) FROM limit_reservations
  WHERE limit_id = ? AND window_start_ms = ? AND expires_ms > ?`;

/** Percent of `max` that `spent` is, rounded to 0.01 (a $0 limit is at 100 % once anything is spent). */
export function percentOf(spentMicros: number, maxMicros: number): number {
  if (maxMicros <= 0) return spentMicros > 0 ? 100 : 0;
  return Math.round((spentMicros / maxMicros) * 10_000) / 100;
}

// On a Postgres ledger the figures are src/limits/postgres's: settled spend per window row, live reservations
// (tombstones of settled calls have expired), in nano-USD; shown in whole micro-USD, rounded up as SQLite's are.
// (sum() of bigint is numeric in Postgres: cast back, or the division would not be an integer one.)
const PG_SPENT = `SELECT (spent_nanos + 999) / 1000 FROM costtrail_limit_windows
  WHERE limit_id = ? AND window_start_ms = ?`;
const PG_RESERVED = `SELECT (coalesce(sum(nanos), 0)::bigint + 999) / 1000 FROM costtrail_limit_reservations
  WHERE limit_id = ? AND window_start_ms = ? AND expires_ms > ?`;

// Blocked calls are events (status 'blocked') naming the limit in limits_exceeded, a JSON list: read the few
// blocked events of the widest window once and count per limit in JS (portable; no JSON functions in SQL).
const BLOCKED = "SELECT e.ts_ms, e.limits_exceeded FROM events e WHERE e.status = 'blocked' AND e.ts_ms >= ?";

function blockedSince(db: Database, sinceMs: number): { tsMs: number; limitIds: string[] }[] {
  return (db.prepare(BLOCKED).raw().all(sinceMs) as [number, string][]).map(([tsMs, text]) => {
    let limitIds: string[] = [];
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed)) limitIds = parsed.filter((v): v is string => typeof v === "string");
    } catch {
      // A malformed list names no limit.
    }
    return { tsMs, limitIds };
  });
}

function statusOf(
  limit: StoredLimit,
  spent: number,
  reserved: number,
  blocked: number,
  nowMs: number,
): LimitStatus {
  const start = windowStart(limit.window, nowMs);
  const end = windowEnd(limit.window, nowMs);
  const pct = percentOf(spent, limit.maxMicros);
  const state =
    pct >= 100 ? "exceeded" : limit.alertAtPct !== undefined && pct >= limit.alertAtPct ? "alert" : "ok";
  return {
    ...toDefinition(limit),
    windowStart: new Date(start).toISOString(),
    resetsAt: end === null ? null : new Date(end).toISOString(),
    spentUsd: microsToUsd(spent),
    reservedUsd: microsToUsd(reserved),
    remainingUsd: microsToUsd(Math.max(0, limit.maxMicros - spent - reserved)),
    pct,
    state,
    blocked,
    source: limit.source,
  };
}

/**
 * Every stored limit and where it stands in its current window at `now` (default: the clock), by id.
 * Read-only (works on a read-only connection); a ledger without limit tables gives [].
 * `remainingUsd` is what new calls can still reserve: max − spent − live reservations, never below 0.
 */
export function limitStatuses(db: Database, now: number = Date.now()): LimitStatus[] {
  // One read transaction: definitions and figures all come from the same snapshot.
  return db.transaction(() => {
    const limits = readLimits(db);
    if (limits.length === 0) return [];
    const postgres = isPostgresConnection(db);
    const spentOf = db.prepare(postgres ? PG_SPENT : SPENT).pluck();
    const reservedOf = db.prepare(postgres ? PG_RESERVED : RESERVED).pluck();
    const blocked = blockedSince(db, Math.min(...limits.map((l) => windowStart(l.window, now))));
    return limits.map((limit) => {
      const start = windowStart(limit.window, now);
      const spent = (spentOf.get(limit.id, start) as number | undefined) ?? 0;
      const reserved = reservedOf.get(limit.id, start, now) as number;
      const refused = blocked.filter((b) => b.tsMs >= start && b.limitIds.includes(limit.id)).length;
      return statusOf(limit, spent, reserved, refused, now);
    });
  })();
}
