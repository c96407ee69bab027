import type { QueryResult, QueryResultRow } from "pg";
import type { LimitMode, LimitWindow } from "../../types.js";
import type { Limit } from "../definition.js";
import type { LimitSource, StoredLimit } from "../store.js";
import type { SyncQueryable } from "./schema.js";

interface LimitRow {
  id: string;
  max_nanos: string;
  window_kind: LimitWindow;
  mode: LimitMode;
  alert_at_pct: number | null;
  scope_user_id: string | null;
  scope_account_name: string | null;
  scope_use_case_name: string | null;
  source: LimitSource;
  updated_ms: string;
}

// As in SQLite (src/limits/store.ts): an unchanged definition is not rewritten, so the version counter moves
// only on real changes and other processes do not reload for nothing.
const UPSERT = `
INSERT INTO costtrail_limits AS l (id, max_nanos, window_kind, mode, alert_at_pct, scope_user_id,
  scope_account_name, scope_use_case_name, source, updated_ms)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[],
  $8::text[], $9::text[], $10::bigint[])
ON CONFLICT (id) DO UPDATE SET
  max_nanos = excluded.max_nanos, window_kind = excluded.window_kind, mode = excluded.mode,
  alert_at_pct = excluded.alert_at_pct, scope_user_id = excluded.scope_user_id,
  scope_account_name = excluded.scope_account_name, scope_use_case_name = excluded.scope_use_case_name,
  source = excluded.source, updated_ms = excluded.updated_ms
WHERE (l.max_nanos, l.window_kind, l.mode, l.alert_at_pct, l.scope_user_id, l.scope_account_name,
  l.scope_use_case_name, l.source) IS DISTINCT FROM (excluded.max_nanos, excluded.window_kind, excluded.mode,
  excluded.alert_at_pct, excluded.scope_user_id, excluded.scope_account_name, excluded.scope_use_case_name,
  excluded.source)`;

/** What the gate's statements run on: its pool, with the gate's own statement timeout (gate.ts). */
export interface LimitQueryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** A limit's amount in nano-USD, as the Postgres tables keep it (exact: micro-USD × 1000). */
export function maxNanosOf(limit: Limit): bigint {
  return BigInt(limit.maxMicros) * 1000n;
}

/** UPSERT's parameters: one array per column. */
function upsertParams(limits: readonly Limit[], source: LimitSource, nowMs: number): unknown[] {
  const column = <T>(get: (l: Limit) => T) => limits.map(get);
  return [
    column((l) => l.id),
    column((l) => maxNanosOf(l).toString()),
    column((l) => l.window),
    column((l) => l.mode),
    column((l) => l.alertAtPct ?? null),
    column((l) => l.scope?.userId ?? null),
    column((l) => l.scope?.accountName ?? null),
    column((l) => l.scope?.useCaseName ?? null),
    column(() => source),
    column(() => String(nowMs)),
  ];
}

/** Inserts or replaces definitions in one statement; unchanged ones are left alone. */
export async function upsertPostgresLimits(
  pool: LimitQueryable,
  limits: readonly Limit[],
  source: LimitSource,
  nowMs: number,
): Promise<void> {
  if (limits.length === 0) return;
  await pool.query(UPSERT, upsertParams(limits, source, nowMs));
}

// ---- the CLI's writes (`costtrail limits set|reset|delete --db postgres://…`), on its synchronous connection ----

function inTransaction<T>(db: SyncQueryable, fn: () => T): T {
  db.query("BEGIN");
  try {
    const result = fn();
    db.query("COMMIT");
    return result;
  } catch (error) {
    try {
      db.query("ROLLBACK");
    } catch {
      // Connection gone: the server rolled back.
    }
    throw error;
  }
}

/** `upsertPostgresLimits` for the CLI: the same statement; the trigger bumps the version every gate polls. */
export function upsertPostgresLimitsSync(
  db: SyncQueryable,
  limits: readonly Limit[],
  source: LimitSource,
  nowMs: number,
): void {
  if (limits.length > 0) db.query(UPSERT, upsertParams(limits, source, nowMs));
}

/**
 * Starts a limit's window over: its settled spend to zero and its fired alerts forgotten, as on SQLite
 * (src/limits/store.ts); live reservations stay, those calls settle normally. The window row is kept (zeroed),
 * since it is the row reservations lock.
 */
export function resetPostgresLimitSync(db: SyncQueryable, id: string, windowStartMs: number): void {
  const params = [id, String(windowStartMs)];
  inTransaction(db, () => {
    db.query(
      "UPDATE costtrail_limit_windows SET spent_nanos = 0 WHERE limit_id = $1 AND window_start_ms = $2",
      params,
    );
    db.query("DELETE FROM costtrail_limit_alerts WHERE limit_id = $1 AND window_start_ms = $2", params);
  });
}

/** Removes a definition with its spend history, alerts and reservations. False when it did not exist. */
export function deletePostgresLimitSync(db: SyncQueryable, id: string): boolean {
  return inTransaction(db, () => {
    const deleted = db.query("DELETE FROM costtrail_limits WHERE id = $1 RETURNING 1", [id]).rows.length > 0;
    if (!deleted) return false;
    for (const table of [
      "costtrail_limit_windows",
      "costtrail_limit_alerts",
      "costtrail_limit_reservations",
    ]) {
      db.query(`DELETE FROM ${table} WHERE limit_id = $1`, [id]);
    }
    return true;
  });
}

/** The version counter (bumped by a trigger on every change) and every stored definition, in one round trip. */
export async function readPostgresLimits(
  pool: LimitQueryable,
): Promise<{ version: string; limits: StoredLimit[] }> {
  const result = await pool.query<LimitRow & { version: string }>(
    `SELECT m.value AS version, l.* FROM costtrail_limit_meta m
     LEFT JOIN costtrail_limits l ON true WHERE m.key = 'version' ORDER BY l.id`,
  );
  const version = result.rows[0]?.version ?? "0";
  const limits = result.rows.filter((r) => r.id !== null).map(fromRow);
  return { version, limits };
}

/** The version counter alone: what the gate polls to see whether definitions changed. */
export async function postgresLimitsVersion(pool: LimitQueryable): Promise<string> {
  const result = await pool.query<{ value: string }>(
    "SELECT value FROM costtrail_limit_meta WHERE key = 'version'",
  );
  return result.rows[0]?.value ?? "0";
}

function fromRow(row: LimitRow): StoredLimit {
  const scope: Record<string, string> = {};
  if (row.scope_user_id !== null) scope["userId"] = row.scope_user_id;
  if (row.scope_account_name !== null) scope["accountName"] = row.scope_account_name;
  if (row.scope_use_case_name !== null) scope["useCaseName"] = row.scope_use_case_name;
  const limit: { -readonly [K in keyof StoredLimit]: StoredLimit[K] } = {
    id: row.id,
    // Stored amounts are whole micro-USD (definitions are validated so), so this division is exact.
    maxMicros: Number(BigInt(row.max_nanos) / 1000n),
    window: row.window_kind,
    mode: row.mode,
    source: row.source,
    updatedMs: Number(row.updated_ms),
  };
  if (row.alert_at_pct !== null) limit.alertAtPct = row.alert_at_pct;
  if (Object.keys(scope).length > 0) limit.scope = scope;
  return limit;
}
