// Every SQL statement of src/kpis, in plain portable SQL (no SQLite-only functions), so the Postgres ledger
// can run the same text through its own connection.
import type { Database } from "better-sqlite3";
import { hasTable } from "../ledger/reader.js";
import type { KpiDefinition, KpiGoalOp, KpiKind } from "../types.js";

export const UPSERT_KPI_DEFINITION = `
INSERT INTO kpi_definitions (use_case_name, name, kind, goal_op, goal_value, roi, description, updated_ms)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (use_case_name, name) DO UPDATE SET
  kind = excluded.kind, goal_op = excluded.goal_op, goal_value = excluded.goal_value, roi = excluded.roi,
  description = excluded.description, updated_ms = excluded.updated_ms`;

/** The parameters of UPSERT_KPI_DEFINITION for one definition, in its placeholders' order. */
export function kpiDefinitionParams(d: KpiDefinition, nowMs: number): (string | number | null)[] {
  return [
    d.useCase,
    d.name,
    d.kind,
    d.goal?.op ?? null,
    d.goal?.value ?? null,
    d.roi ? 1 : 0,
    d.description ?? null,
    nowMs,
  ];
}

/** Stores (or replaces) definitions, so the CLI and dashboard know each KPI's kind, goal and ROI role. */
export function upsertKpiDefinitions(db: Database, defs: readonly KpiDefinition[], nowMs: number): void {
  const upsert = db.prepare(UPSERT_KPI_DEFINITION);
  db.transaction(() => {
    for (const d of defs) upsert.run(kpiDefinitionParams(d, nowMs));
  }).immediate();
}

interface DefinitionRow {
  use_case_name: string;
  name: string;
  kind: KpiKind;
  goal_op: KpiGoalOp | null;
  goal_value: number | null;
  roi: number;
  description: string | null;
}

/** Every stored definition, by use case then name. */
export function readKpiDefinitions(db: Database): KpiDefinition[] {
  const rows = db
    .prepare(
      `SELECT use_case_name, name, kind, goal_op, goal_value, roi, description FROM kpi_definitions
       ORDER BY use_case_name, name`,
    )
    .all() as DefinitionRow[];
  return rows.map((r) => {
    const d: KpiDefinition = { name: r.name, useCase: r.use_case_name, kind: r.kind };
    if (r.goal_op !== null && r.goal_value !== null) d.goal = { op: r.goal_op, value: r.goal_value };
    if (r.roi) d.roi = true;
    if (r.description !== null) d.description = r.description;
    return d;
  });
}

/** What `costtrail kpis --by` groups instances on: the instance's version, account or user (from its events). */
export type KpiGroupBy = "version" | "account" | "user";

const GROUP_COLUMN: Record<KpiGroupBy, string> = {
  version: "e.use_case_version",
  account: "e.account_name",
  user: "e.user_id",
};

/** Instances and their cost per (use case, group): integers as bigint (exact). */
export interface InstanceCostRow {
  useCase: string;
  group: string | number | null;
  instances: bigint;
  requests: bigint;
  blocked: bigint;
  /** Exact: the events' nano-USD (ledgers from before exact money give whole micro-USD × 1000). */
  costNanos: bigint;
}

/** KPI records per (use case, group, KPI), over the instances of the range. */
export interface KpiAggregateRow {
  useCase: string;
  group: string | number | null;
  name: string;
  instancesWithKpi: bigint;
  /** Instances where the KPI was ever > 0 (a boolean's "true"). */
  instancesPositive: bigint;
  records: bigint;
  totalNanos: bigint;
  /** Lowest and highest inferred kind among the records (equal when they agree). */
  kindMin: string;
  kindMax: string;
}

/** The event conditions of a range (alias `e`), as `eventFilter` in src/ledger builds them. */
export interface EventConditions {
  where: readonly string[];
  params: readonly (string | number)[];
}

/**
 * One row per use-case instance in the range: its group value (max over its events: an instance normally has
 * one version, account and user), cost and requests. Instances are identified by (use case, id).
 */
function instancesCte(by: KpiGroupBy | undefined, filter: EventConditions): string {
  const group = by ? `max(${GROUP_COLUMN[by]})` : "NULL";
  const and = filter.where.map((w) => ` AND ${w}`).join("");
  return `inst AS (
    SELECT e.use_case_name AS use_case, e.use_case_id AS instance, ${group} AS grp,
      count(*) AS requests, sum(CASE WHEN e.status = 'blocked' THEN 1 ELSE 0 END) AS blocked,
      coalesce(sum(coalesce(e.cost_nanos, e.cost_micros * 1000)), 0) AS cost_nanos
    FROM events e
    WHERE e.use_case_name IS NOT NULL AND e.use_case_id IS NOT NULL${and}
    GROUP BY e.use_case_name, e.use_case_id)`;
}

export function instanceCosts(
  db: Database,
  by: KpiGroupBy | undefined,
  filter: EventConditions,
): InstanceCostRow[] {
  const sql = `WITH ${instancesCte(by, filter)}
    SELECT use_case, grp, count(*), sum(requests), sum(blocked), sum(cost_nanos)
    FROM inst GROUP BY use_case, grp`;
  const rows = db.prepare(sql).raw().safeIntegers().all(filter.params) as unknown[][];
  return rows.map((r) => ({
    useCase: r[0] as string,
    group: groupValue(r[1]),
    instances: r[2] as bigint,
    requests: r[3] as bigint,
    blocked: r[4] as bigint,
    costNanos: r[5] as bigint,
  }));
}

export function kpiAggregates(
  db: Database,
  by: KpiGroupBy | undefined,
  filter: EventConditions,
  useCase: string | undefined,
): KpiAggregateRow[] {
  const kpiWhere = useCase === undefined ? "" : "WHERE k.use_case_name = ?";
  const sql = `WITH ${instancesCte(by, filter)},
    per_instance AS (
      SELECT k.use_case_name, k.use_case_id, k.name, count(*) AS records, sum(k.value_nanos) AS total,
        max(k.value_nanos) AS top, min(k.kind) AS kind_min, max(k.kind) AS kind_max
      FROM kpis k ${kpiWhere}
      GROUP BY k.use_case_name, k.use_case_id, k.name)
    SELECT i.use_case, i.grp, p.name, count(*), sum(CASE WHEN p.top > 0 THEN 1 ELSE 0 END), sum(p.records),
      sum(p.total), min(p.kind_min), max(p.kind_max)
    FROM inst i JOIN per_instance p ON p.use_case_name = i.use_case AND p.use_case_id = i.instance
    GROUP BY i.use_case, i.grp, p.name`;
  const params = [...filter.params, ...(useCase === undefined ? [] : [useCase])];
  const rows = db.prepare(sql).raw().safeIntegers().all(params) as unknown[][];
  return rows.map((r) => ({
    useCase: r[0] as string,
    group: groupValue(r[1]),
    name: r[2] as string,
    instancesWithKpi: r[3] as bigint,
    instancesPositive: r[4] as bigint,
    records: r[5] as bigint,
    totalNanos: r[6] as bigint,
    kindMin: r[7] as string,
    kindMax: r[8] as string,
  }));
}

/** Versions are integers (bigint from safeIntegers); accounts and users are text. */
function groupValue(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  return typeof v === "bigint" ? Number(v) : (v as string);
}

/** Whether the ledger has the KPI tables (a file written before migration 3, opened read-only, has not). */
export function hasKpiTables(db: Database): boolean {
  return hasTable(db, "kpis");
}

/** Each instance's exact cost in nano-USD in the range, per use case, cheapest first (for percentiles). */
export function costPerInstance(
  db: Database,
  filter: EventConditions,
): { useCase: string; costs: bigint[] }[] {
  const and = filter.where.map((w) => ` AND ${w}`).join("");
  const sql = `SELECT e.use_case_name, coalesce(sum(e.cost_nanos), 0) AS cost
    FROM events e WHERE e.use_case_name IS NOT NULL AND e.use_case_id IS NOT NULL${and}
    GROUP BY e.use_case_name, e.use_case_id
    ORDER BY e.use_case_name, cost`;
  const out: { useCase: string; costs: bigint[] }[] = [];
  const rows = db.prepare(sql).safeIntegers(true).raw().all(filter.params) as [string, bigint][];
  for (const [useCase, cost] of rows) {
    const last = out.at(-1);
    if (last?.useCase === useCase) last.costs.push(cost);
    else out.push({ useCase, costs: [cost] });
  }
  return out;
}

/** Spend per use case from `sinceMs` on, bucketed: [since7d, since1d) sums both, so one scan gives both rates. */
export function useCaseSpendSince(
  db: Database,
  since7dMs: number,
  since1dMs: number,
  nowMs: number,
  useCase: string | undefined,
): { useCase: string; last7dMicros: number; last1dMicros: number }[] {
  const only = useCase === undefined ? "" : " AND e.use_case_name = ?";
  const sql = `SELECT e.use_case_name, coalesce(sum(e.cost_nanos), 0),
      coalesce(sum(CASE WHEN e.ts_ms >= ? THEN e.cost_nanos ELSE 0 END), 0)
    FROM events e WHERE e.ts_ms >= ? AND e.ts_ms < ? AND e.use_case_name IS NOT NULL${only}
    GROUP BY e.use_case_name ORDER BY e.use_case_name`;
  const params = [since1dMs, since7dMs, nowMs, ...(useCase === undefined ? [] : [useCase])];
  const rows = db.prepare(sql).safeIntegers(true).raw().all(params) as [string, bigint, bigint][];
  return rows.map(([u, w, d]) => ({ useCase: u, last7dMicros: ceilMicros(w), last1dMicros: ceilMicros(d) }));
}

/** An exact nano-USD sum in whole micro-USD, rounded up once, at the edge (docs/pricing.md "Exact money"). */
function ceilMicros(nanos: bigint): number {
  return Number((nanos + 999n) / 1000n);
}

/** Who a limit covers: its scope (every key must match), or the calls naming it in limitIds when unscoped. */
export interface LimitCoverage {
  id: string;
  scope?: { userId?: string; accountName?: string; useCaseName?: string };
}

/** A limit's spend over [since7d, now) and [since1d, now), from the events it covers. */
export function limitSpendSince(
  db: Database,
  limit: LimitCoverage,
  since7dMs: number,
  since1dMs: number,
  nowMs: number,
): { last7dMicros: number; last1dMicros: number } {
  const measures = `coalesce(sum(e.cost_nanos), 0),
    coalesce(sum(CASE WHEN e.ts_ms >= ? THEN e.cost_nanos ELSE 0 END), 0)`;
  let sql: string;
  const params: (string | number)[] = [since1dMs];
  const scope = limit.scope ?? {};
  const keys = (["userId", "accountName", "useCaseName"] as const).filter((k) => scope[k] !== undefined);
  if (keys.length === 0) {
    sql = `SELECT ${measures} FROM event_labels e WHERE e.kind = 'limit' AND e.value = ? AND e.ts_ms >= ? AND e.ts_ms < ?`;
    params.push(limit.id, since7dMs, nowMs);
  } else {
    const column = { userId: "e.user_id", accountName: "e.account_name", useCaseName: "e.use_case_name" };
    sql = `SELECT ${measures} FROM events e WHERE e.ts_ms >= ? AND e.ts_ms < ?${keys.map((k) => ` AND ${column[k]} = ?`).join("")}`;
    params.push(since7dMs, nowMs, ...keys.map((k) => scope[k]!));
  }
  const [week, day] = db.prepare(sql).safeIntegers(true).raw().get(params) as [bigint, bigint];
  return { last7dMicros: ceilMicros(week), last1dMicros: ceilMicros(day) };
}

/** One event's tokens and cost, as `whatif` re-prices them. */
export interface PricedCall {
  provider: string;
  requestModel: string;
  ts: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Exact nano-USD as stored; null when unpriced. */
  costNanos: number | null;
}

/** The calls of one use case in a range (every event, blocked ones included: they carry no tokens). */
export function useCaseCalls(db: Database, useCase: string, filter: EventConditions): PricedCall[] {
  const and = filter.where.map((w) => ` AND ${w}`).join("");
  const sql = `SELECT e.provider, e.request_model, e.ts, e.input_tokens, e.output_tokens, e.cache_read_tokens,
      e.cache_write_tokens, e.reasoning_tokens, e.cost_nanos
    FROM events e WHERE e.use_case_name = ?${and}`;
  return (
    db
      .prepare(sql)
      .raw()
      .all([useCase, ...filter.params]) as unknown[][]
  ).map((r) => ({
    provider: r[0] as string,
    requestModel: r[1] as string,
    ts: r[2] as string,
    inputTokens: r[3] as number,
    outputTokens: r[4] as number,
    cacheReadTokens: r[5] as number,
    cacheWriteTokens: r[6] as number,
    reasoningTokens: r[7] as number,
    costNanos: r[8] as number | null,
  }));
}
