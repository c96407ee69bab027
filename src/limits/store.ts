import type { Database } from "better-sqlite3";
import { hasTable, isPostgresConnection } from "../ledger/reader.js";
import type { LimitMode, LimitWindow } from "../types.js";
import type { Limit } from "./definition.js";
import { windowStart } from "./windows.js";

/** Where a stored definition came from: `instrument({ limits })` (upserted at start) or `costtrail limits set`. */
export type LimitSource = "config" | "cli";

export interface StoredLimit extends Limit {
  readonly source: LimitSource;
  readonly updatedMs: number;
}

interface LimitRow {
  id: string;
  max_micros: number;
  window_kind: LimitWindow;
  mode: LimitMode;
  alert_at_pct: number | null;
  scope_user_id: string | null;
  scope_account_name: string | null;
  scope_use_case_name: string | null;
  source: LimitSource;
  updated_ms: number;
}

const SELECT_LIMITS = `SELECT id, max_micros, window_kind, mode, alert_at_pct, scope_user_id, scope_account_name,
  scope_use_case_name, source, updated_ms FROM limits ORDER BY id`;
// A Postgres ledger keeps definitions in src/limits/postgres's table, in nano-USD (whole micro-USD × 1000).
const SELECT_PG_LIMITS = `SELECT id, max_nanos / 1000 AS max_micros, window_kind, mode, alert_at_pct, scope_user_id,
  scope_account_name, scope_use_case_name, source, updated_ms FROM costtrail_limits ORDER BY id`;

// The WHERE makes re-upserting an unchanged definition a no-op: no row change, no version bump, so other
// processes do not reload for nothing each time an app starts.
const UPSERT_LIMIT = `
INSERT INTO limits (id, max_micros, window_kind, mode, alert_at_pct, scope_user_id, scope_account_name,
  scope_use_case_name, source, updated_ms)
VALUES (@id, @maxMicros, @window, @mode, @alertAtPct, @userId, @accountName, @useCaseName, @source, @updatedMs)
ON CONFLICT (id) DO UPDATE SET
  max_micros = excluded.max_micros, window_kind = excluded.window_kind, mode = excluded.mode,
  alert_at_pct = excluded.alert_at_pct, scope_user_id = excluded.scope_user_id,
  scope_account_name = excluded.scope_account_name, scope_use_case_name = excluded.scope_use_case_name,
  source = excluded.source, updated_ms = excluded.updated_ms
WHERE max_micros IS NOT excluded.max_micros OR window_kind IS NOT excluded.window_kind
  OR mode IS NOT excluded.mode OR alert_at_pct IS NOT excluded.alert_at_pct
  OR scope_user_id IS NOT excluded.scope_user_id OR scope_account_name IS NOT excluded.scope_account_name
  OR scope_use_case_name IS NOT excluded.scope_use_case_name OR source IS NOT excluded.source`;

function fromRow(row: LimitRow): StoredLimit {
  const scope: Record<string, string> = {};
  if (row.scope_user_id !== null) scope["userId"] = row.scope_user_id;
  if (row.scope_account_name !== null) scope["accountName"] = row.scope_account_name;
  if (row.scope_use_case_name !== null) scope["useCaseName"] = row.scope_use_case_name;
  const limit: { -readonly [K in keyof StoredLimit]: StoredLimit[K] } = {
    id: row.id,
    maxMicros: row.max_micros,
    window: row.window_kind,
    mode: row.mode,
    source: row.source,
    updatedMs: row.updated_ms,
  };
  if (row.alert_at_pct !== null) limit.alertAtPct = row.alert_at_pct;
  if (Object.keys(scope).length > 0) limit.scope = scope;
  return limit;
}

/** True when the ledger has the limit tables (migration 2); a read-only connection on an older file has not. */
export function hasLimitTables(db: Database): boolean {
  return hasTable(db, isPostgresConnection(db) ? "costtrail_limits" : "limits");
}

/** Every stored definition, by id; [] on a ledger without limit tables. */
export function readLimits(db: Database): StoredLimit[] {
  if (!hasLimitTables(db)) return [];
  const sql = isPostgresConnection(db) ? SELECT_PG_LIMITS : SELECT_LIMITS;
  return (db.prepare(sql).all() as LimitRow[]).map(fromRow);
}

export function readLimit(db: Database, id: string): StoredLimit | undefined {
  const select = isPostgresConnection(db) ? SELECT_PG_LIMITS : SELECT_LIMITS;
  const row = db.prepare(`${select.replace(" ORDER BY id", "")} WHERE id = ?`).get(id) as
    | LimitRow
    | undefined;
  return row ? fromRow(row) : undefined;
}

export function hasStoredLimits(db: Database): boolean {
  return hasLimitTables(db) && db.prepare("SELECT EXISTS (SELECT 1 FROM limits)").pluck().get() === 1;
}

/** Changes whenever a definition is inserted, changed or deleted (by any process). */
export function limitsVersion(db: Database): number {
  return db.prepare("SELECT value FROM limit_meta WHERE key = 'version'").pluck().get() as number;
}

/** Inserts or replaces definitions (one transaction). Unchanged ones are left alone. */
export function upsertLimits(
  db: Database,
  limits: readonly Limit[],
  source: LimitSource,
  nowMs: number,
): void {
  if (limits.length === 0) return;
  const upsert = db.prepare(UPSERT_LIMIT);
  db.transaction(() => {
    for (const l of limits) {
      upsert.run({
        id: l.id,
        maxMicros: l.maxMicros,
        window: l.window,
        mode: l.mode,
        alertAtPct: l.alertAtPct ?? null,
        userId: l.scope?.userId ?? null,
        accountName: l.scope?.accountName ?? null,
        useCaseName: l.scope?.useCaseName ?? null,
        source,
        updatedMs: nowMs,
      });
    }
  }).immediate();
}

/**
 * Clears a limit's spend and fired alerts in its current window (in-flight reservations stay: those calls
 * settle normally). Returns false when no such limit is stored.
 */
export function resetLimit(db: Database, id: string, nowMs: number): boolean {
  return db
    .transaction(() => {
      const limit = readLimit(db, id);
      if (!limit) return false;
      const start = windowStart(limit.window, nowMs);
      db.prepare("DELETE FROM limit_spend WHERE limit_id = ? AND window_start_ms = ?").run(id, start);
      db.prepare("DELETE FROM limit_alerts WHERE limit_id = ? AND window_start_ms = ?").run(id, start);
      return true;
    })
    .immediate();
}

/** Removes a definition with its spend history, alerts and reservations. Returns false when it did not exist. */
export function deleteLimit(db: Database, id: string): boolean {
  return db
    .transaction(() => {
      const deleted = db.prepare("DELETE FROM limits WHERE id = ?").run(id).changes > 0;
      if (!deleted) return false;
      for (const table of ["limit_spend", "limit_alerts", "limit_reservations"]) {
        db.prepare(`DELETE FROM ${table} WHERE limit_id = ?`).run(id);
      }
      return true;
    })
    .immediate();
}
