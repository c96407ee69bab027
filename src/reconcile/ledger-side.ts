// Every ledger read and write of reconciliation and the FOCUS export, in one module, in SQL both ledgers run
// (SQLite and Postgres, docs/fleet.md; nullable sort keys say NULLS FIRST, SQLite's default): plain SQL (no SQLite date functions; days are computed from ts_ms), money as
// integer nano-USD. Ledger costs are integer micro-USD (`cost_micros`); a `cost_nanos` column, where a newer
// ledger has one, is preferred.
import type { Database } from "better-sqlite3";
import { hasTable as hasLedgerTable } from "../ledger/reader.js";
import type { ReconcileProvider } from "./provider-lines.js";

const DAY_MS = 86_400_000;

export interface LedgerLine {
  day: string;
  model: string;
  /** Calls that reached the provider and returned (status ok or aborted). */
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costNanos: number;
  /** Events without a known price (they add nothing to costNanos). */
  unpriced: number;
}

export interface AttributedSpend {
  day: string;
  useCaseName: string | null;
  accountName: string | null;
  costNanos: number;
}

export interface FocusGroup {
  day: string;
  provider: string;
  model: string;
  useCaseName: string | null;
  accountName: string | null;
  userId: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costNanos: number;
  unpriced: number;
}

export interface StoredRun {
  id: string;
  runMs: number;
  provider: ReconcileProvider;
  sinceMs: number;
  untilMs: number;
  groupBy: string;
  tolerancePpm: number;
  providerNanos: number;
  ledgerNanos: number;
  rowsOutside: number;
  result: string;
  days: { day: string; providerNanos: number; ledgerNanos: number }[];
  allocations: {
    day: string;
    useCaseName: string | null;
    accountName: string | null;
    basisNanos: number;
    allocatedNanos: number;
  }[];
}

export interface DayCoverage {
  provider: string;
  day: string;
  providerNanos: number;
  ledgerNanos: number;
  runMs: number;
}

export interface StoredAllocation {
  provider: string;
  day: string;
  useCaseName: string | null;
  accountName: string | null;
  allocatedNanos: number;
  runId: string;
}

/** Dates JavaScript can print: an open bound (0, MAX_SAFE_INTEGER) is clamped to them. */
const LAST_MS = Date.UTC(9999, 11, 31);

function dayOfIndex(index: number): string {
  return new Date(Math.min(Math.max(index * DAY_MS, 0), LAST_MS)).toISOString().slice(0, 10);
}

function costNanosExpression(db: Database): string {
  const columns = db
    .prepare("SELECT * FROM events LIMIT 0")
    .columns()
    .map((c) => c.name);
  return columns.includes("cost_nanos")
    ? "COALESCE(cost_nanos, cost_micros * 1000, 0)"
    : "COALESCE(cost_micros * 1000, 0)";
}

/** Events of one provider over [startMs, endMs), per UTC day and model (the response model when known). */
export function ledgerLines(
  db: Database,
  provider: ReconcileProvider,
  startMs: number,
  endMs: number,
): LedgerLine[] {
  const cost = costNanosExpression(db);
  const rows = db
    .prepare(
      `SELECT ts_ms / ${DAY_MS} AS day_index, COALESCE(response_model, request_model) AS model,
              SUM(CASE WHEN status IN ('ok', 'aborted') THEN 1 ELSE 0 END) AS requests,
              SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
              SUM(${cost}) AS cost_nanos,
              SUM(CASE WHEN cost_micros IS NULL AND status <> 'blocked' THEN 1 ELSE 0 END) AS unpriced
         FROM events
        WHERE provider = ? AND ts_ms >= ? AND ts_ms < ? AND status <> 'blocked'
        GROUP BY day_index, COALESCE(response_model, request_model)`,
    )
    .all(provider, startMs, endMs) as Record<string, number | string>[];
  return rows.map((r) => ({
    day: dayOfIndex(Number(r["day_index"])),
    model: String(r["model"]),
    requests: Number(r["requests"]),
    inputTokens: Number(r["input_tokens"]),
    outputTokens: Number(r["output_tokens"]),
    costNanos: Number(r["cost_nanos"]),
    unpriced: Number(r["unpriced"]),
  }));
}

/** Tracked spend per UTC day, use case and account: the basis `--allocate` distributes over. */
export function attributedSpend(
  db: Database,
  provider: ReconcileProvider,
  startMs: number,
  endMs: number,
): AttributedSpend[] {
  const cost = costNanosExpression(db);
  const rows = db
    .prepare(
      `SELECT ts_ms / ${DAY_MS} AS day_index, use_case_name, account_name, SUM(${cost}) AS cost_nanos
         FROM events
        WHERE provider = ? AND ts_ms >= ? AND ts_ms < ? AND status <> 'blocked'
        GROUP BY day_index, use_case_name, account_name
        ORDER BY day_index, use_case_name NULLS FIRST, account_name NULLS FIRST`,
    )
    .all(provider, startMs, endMs) as Record<string, number | string | null>[];
  return rows.map((r) => ({
    day: dayOfIndex(Number(r["day_index"])),
    useCaseName: r["use_case_name"] === null ? null : String(r["use_case_name"]),
    accountName: r["account_name"] === null ? null : String(r["account_name"]),
    costNanos: Number(r["cost_nanos"]),
  }));
}

/** Stores one run with its days and allocations, atomically. */
export function storeRun(db: Database, run: StoredRun): void {
  const insertRun = db.prepare(
    `INSERT INTO reconciliations (id, run_ms, provider, since_ms, until_ms, group_by, tolerance_ppm,
       provider_nanos, ledger_nanos, rows_outside, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertDay = db.prepare(
    `INSERT INTO reconciliation_days (run_id, provider, day, provider_nanos, ledger_nanos) VALUES (?, ?, ?, ?, ?)`,
  );
  const insertAllocation = db.prepare(
    `INSERT INTO reconciliation_allocations (run_id, provider, day, use_case_name, account_name, basis_nanos,
       allocated_nanos) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    insertRun.run(
      run.id,
      run.runMs,
      run.provider,
      run.sinceMs,
      run.untilMs,
      run.groupBy,
      run.tolerancePpm,
      run.providerNanos,
      run.ledgerNanos,
      run.rowsOutside,
      run.result,
    );
    for (const d of run.days) insertDay.run(run.id, run.provider, d.day, d.providerNanos, d.ledgerNanos);
    for (const a of run.allocations) {
      insertAllocation.run(
        run.id,
        run.provider,
        a.day,
        a.useCaseName,
        a.accountName,
        a.basisNanos,
        a.allocatedNanos,
      );
    }
  }).immediate();
}

function hasTable(db: Database, name: string): boolean {
  return hasLedgerTable(db, name);
}

/** The latest run's figures for each provider and day (a ledger without reconciliations: []). */
export function latestCoverage(db: Database): DayCoverage[] {
  if (!hasTable(db, "reconciliation_days")) return [];
  const rows = db
    .prepare(
      `SELECT d.provider, d.day, d.provider_nanos, d.ledger_nanos, r.run_ms
         FROM reconciliation_days d JOIN reconciliations r ON r.id = d.run_id
        WHERE r.run_ms = (SELECT MAX(r2.run_ms) FROM reconciliation_days d2
                            JOIN reconciliations r2 ON r2.id = d2.run_id
                           WHERE d2.provider = d.provider AND d2.day = d.day)
        ORDER BY d.day DESC, d.provider`,
    )
    .all() as Record<string, number | string>[];
  return rows.map((r) => ({
    provider: String(r["provider"]),
    day: String(r["day"]),
    providerNanos: Number(r["provider_nanos"]),
    ledgerNanos: Number(r["ledger_nanos"]),
    runMs: Number(r["run_ms"]),
  }));
}

/**
 * Allocated spend over [startMs, endMs): for each provider and day, the allocations of the latest run that
 * allocated that day (an older run's are superseded, never added).
 */
export function latestAllocations(db: Database, startMs: number, endMs: number): StoredAllocation[] {
  if (!hasTable(db, "reconciliation_allocations")) return [];
  const rows = db
    .prepare(
      `SELECT a.provider, a.day, a.use_case_name, a.account_name, a.allocated_nanos, a.run_id
         FROM reconciliation_allocations a JOIN reconciliations r ON r.id = a.run_id
        WHERE a.day >= ? AND a.day < ?
          AND r.run_ms = (SELECT MAX(r2.run_ms) FROM reconciliation_allocations a2
                            JOIN reconciliations r2 ON r2.id = a2.run_id
                           WHERE a2.provider = a.provider AND a2.day = a.day)
        ORDER BY a.day, a.provider, a.use_case_name NULLS FIRST, a.account_name NULLS FIRST`,
    )
    .all(
      dayOfIndex(Math.floor(startMs / DAY_MS)),
      endMs >= LAST_MS ? "9999-12-32" : dayOfIndex(Math.ceil(endMs / DAY_MS)),
    ) as Record<string, number | string | null>[];
  return rows.map((r) => ({
    provider: String(r["provider"]),
    day: String(r["day"]),
    useCaseName: r["use_case_name"] === null ? null : String(r["use_case_name"]),
    accountName: r["account_name"] === null ? null : String(r["account_name"]),
    allocatedNanos: Number(r["allocated_nanos"]),
    runId: String(r["run_id"]),
  }));
}

/** Ledger events per UTC day, provider, model and attribution, for the FOCUS export. */
export function focusGroups(db: Database, startMs: number, endMs: number): FocusGroup[] {
  const cost = costNanosExpression(db);
  const rows = db
    .prepare(
      `SELECT ts_ms / ${DAY_MS} AS day_index, provider, COALESCE(response_model, request_model) AS model,
              use_case_name, account_name, user_id,
              SUM(CASE WHEN status IN ('ok', 'aborted') THEN 1 ELSE 0 END) AS requests,
              SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
              SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens,
              SUM(reasoning_tokens) AS reasoning_tokens, SUM(${cost}) AS cost_nanos,
              SUM(CASE WHEN cost_micros IS NULL THEN 1 ELSE 0 END) AS unpriced
         FROM events
        WHERE ts_ms >= ? AND ts_ms < ? AND status <> 'blocked'
        GROUP BY day_index, provider, COALESCE(response_model, request_model), use_case_name, account_name, user_id
        ORDER BY day_index, provider, model, use_case_name NULLS FIRST, account_name NULLS FIRST, user_id NULLS FIRST`,
    )
    .all(startMs, endMs) as Record<string, number | string | null>[];
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return rows.map((r) => ({
    day: dayOfIndex(Number(r["day_index"])),
    provider: String(r["provider"]),
    model: String(r["model"]),
    useCaseName: text(r["use_case_name"]),
    accountName: text(r["account_name"]),
    userId: text(r["user_id"]),
    requests: Number(r["requests"]),
    inputTokens: Number(r["input_tokens"]),
    outputTokens: Number(r["output_tokens"]),
    cacheReadTokens: Number(r["cache_read_tokens"]),
    cacheWriteTokens: Number(r["cache_write_tokens"]),
    reasoningTokens: Number(r["reasoning_tokens"]),
    costNanos: Number(r["cost_nanos"]),
    unpriced: Number(r["unpriced"]),
  }));
}
