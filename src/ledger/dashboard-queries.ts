// What the dashboard reads beyond `report()`: a period's totals, spend over time stacked by use case, and one
// instance's calls. The same filter, measures and validation as `report()` (queries.ts): one query layer.
import type { Database } from "better-sqlite3";
import { z } from "zod";
import type { UsageEvent } from "../types.js";
import type { TimeBound } from "./durations.js";
import { EVENT_COLUMNS, fromEventRow } from "./event-row.js";
import {
  EMPTY_TO_UNDEFINED,
  type EventFilter,
  eventFilter,
  exact,
  MEASURES,
  RAW_WIDTH,
  type RawRow,
  ReportOptionsError,
  type ReportRow,
  timeBoundSchema,
  toReportRow,
  totalsRow,
  whereClause,
} from "./queries.js";
import { hasRollups, rollupUnion } from "./rollups.js";

const useCaseSchema = z.preprocess(EMPTY_TO_UNDEFINED, z.string().max(512).optional());
const nowSchema = z.union([z.number(), z.date()]).optional();

const iso = (ms: number | undefined | null): string | null =>
  ms === undefined || ms === null ? null : new Date(ms).toISOString();

function parseWith<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw ReportOptionsError.fromZod(parsed.error);
}

// ---------------------------------------------------------------------------------------------- totals

export interface PeriodOptions {
  /** Inclusive; same forms as `report()`: `24h`, `7d`, an ISO date, epoch ms, a Date. */
  since?: TimeBound;
  /** Exclusive. */
  until?: TimeBound;
  useCase?: string;
  now?: number | Date;
}

export const periodOptionsSchema = z
  .object({ since: timeBoundSchema, until: timeBoundSchema, useCase: useCaseSchema, now: nowSchema })
  .strict();

export interface TotalsResult {
  since: string | null;
  until: string | null;
  /** Every matching event once; equal to `report(db, { by, ...sameFilter }).totals` for any `by`. */
  totals: ReportRow;
  /** Of `totals.requests`, the calls a block limit refused (status `blocked`: no cost, the provider not called). */
  blocked: number;
  /** First and last matching event (ISO), null when none. */
  firstEventAt: string | null;
  lastEventAt: string | null;
}

/** Validates period options from an untrusted source (a query string); throws ReportOptionsError. */
export function parsePeriodOptions(input: unknown): PeriodOptions {
  return parseWith(periodOptionsSchema, input) as PeriodOptions;
}

/** The period's totals (the dashboard's headline numbers). Throws ReportOptionsError on bad options. */
export function periodTotals(db: Database, options: PeriodOptions = {}): TotalsResult {
  const filter = eventFilter(parsePeriodOptions(options));
  // min and max in separate subqueries: each walks the time index from its end (SQLite optimizes a lone min() or
  // max(), not both in one SELECT, which scans the whole range).
  const where = whereClause(filter);
  const [first, last] = db
    .prepare(
      `SELECT (SELECT min(e.ts_ms) FROM events e ${where}), (SELECT max(e.ts_ms) FROM events e ${where})`,
    )
    .raw()
    .get([...filter.params, ...filter.params]) as [number | null, number | null];
  // The totals' measures include the blocked count: one scan.
  const totals = totalsRow(db, filter);
  return {
    since: iso(filter.since),
    until: iso(filter.until),
    totals,
    blocked: totals.blocked,
    firstEventAt: iso(first),
    lastEventAt: iso(last),
  };
}

// ---------------------------------------------------------------------------------------------- spend over time

export const BUCKETS = ["day", "hour"] as const;
export type Bucket = (typeof BUCKETS)[number];
const BUCKET_MS: Record<Bucket, number> = { day: 86_400_000, hour: 3_600_000 };
/** A chart of more points than this says nothing more; ask for day buckets or a shorter range instead. */
export const MAX_BUCKETS = 5_000;

export interface SpendOverTimeOptions extends PeriodOptions {
  bucket?: Bucket;
  /** Use cases charted on their own (the most expensive); the rest are summed into one "other" series. */
  series?: number;
}

export const spendOverTimeOptionsSchema = periodOptionsSchema
  .extend({
    bucket: z.preprocess(EMPTY_TO_UNDEFINED, z.enum(BUCKETS).optional()),
    series: z.preprocess(EMPTY_TO_UNDEFINED, z.coerce.number().int().min(1).max(50).optional()),
  })
  .strict();

/** Validates spend-over-time options from an untrusted source (`bucket=hour&series=5`); throws ReportOptionsError. */
export function parseSpendOverTimeOptions(input: unknown): SpendOverTimeOptions {
  return parseWith(spendOverTimeOptionsSchema, input) as SpendOverTimeOptions;
}

export interface SpendSeries {
  /** The use case; null for events without one. */
  useCase: string | null;
  /** True for the sum of the use cases beyond `series` (useCase is then null). */
  other?: boolean;
  /** One value per bucket: the bucket's exact nano-USD sum in whole micro-USD, rounded up (for the chart). */
  costMicros: number[];
  requests: number[];
  /** Over the whole range, exact nano-USD as a decimal string: the series' order (most expensive first). */
  totalNanos: string;
  /** totalNanos in micro-USD, rounded up. */
  totalMicros: number;
}

const ceilMicros = (nanos: bigint) => Number((nanos + 999n) / 1000n);

export interface SpendOverTimeResult {
  bucket: Bucket;
  since: string | null;
  until: string | null;
  /** ISO start of each bucket (UTC), consecutive; empty when nothing matched and no range was given. */
  buckets: string[];
  series: SpendSeries[];
}

/**
 * Spend per UTC day or hour, one series per use case (stacked in the chart). Buckets run from `since` (or the
 * first event) to `until` (or, with `since`, now; else the last event), empty ones included.
 */
export function spendOverTime(
  db: Database,
  options: SpendOverTimeOptions = {},
  /** `rollups: false` reads raw events only (the reference the rollup tests compare against). */
  read: { rollups?: boolean } = {},
): SpendOverTimeResult {
  const opts = parseSpendOverTimeOptions(options);
  const bucket = opts.bucket ?? "day";
  const size = BUCKET_MS[bucket];
  const maxSeries = opts.series ?? 8;
  const filter = eventFilter(opts);
  const now = opts.now === undefined ? Date.now() : new Date(opts.now).getTime();
  const rollups = read.rollups !== false && hasRollups(db);
  let raw: [bigint, string | null, bigint, bigint][];
  if (rollups) {
    // Whole hours (and, for day buckets, whole days) from the `total` rollup rows; edges from events.
    const union = rollupUnion(
      {
        dim: "total",
        key: (grain) => (bucket === "hour" || grain === "d" ? "r.bucket" : "r.bucket / 24"),
        withUseCase: true,
        hoursOnly: bucket === "hour",
        columns: ["requests", "all_cost_nanos"],
        measures: ["count(*)", "coalesce(sum(e.cost_nanos), 0)"],
        raw: [
          {
            from: "events e",
            group: `e.ts_ms / ${size}`,
            groupBy: `e.ts_ms / ${size}, e.use_case_name`,
            ucn: "e.use_case_name",
            where: [],
            params: [],
          },
        ],
      },
      filter.since,
      filter.until,
      filter.useCase,
      db,
    );
    raw = exact(
      db.prepare(`SELECT u.k, u.ucn, sum(u.m0), sum(u.m1) FROM (${union.sql}) u GROUP BY u.k, u.ucn`),
    )
      .raw()
      .all(union.params) as typeof raw;
  } else {
    // events_by_time covers ts_ms, use_case_name and the measures: a range scan, grouped in a small temp b-tree.
    raw = exact(
      db.prepare(
        `SELECT e.ts_ms / ${size} AS b, e.use_case_name, count(*), coalesce(sum(e.cost_nanos), 0)
       FROM events e ${whereClause(filter)} GROUP BY b, e.use_case_name`,
      ),
    )
      .raw()
      .all(filter.params) as typeof raw;
  }
  const rows = raw.map(([b, useCase, n, cost]) => [Number(b), useCase, Number(n), BigInt(cost)] as const);

  const bucketOf = (ms: number) => Math.floor(ms / size);
  let first = filter.since !== undefined ? bucketOf(filter.since) : undefined;
  let last =
    filter.until !== undefined
      ? bucketOf(filter.until - 1)
      : filter.since !== undefined
        ? bucketOf(now)
        : undefined;
  const seen = rows.map((r) => r[0]);
  if (seen.length) {
    const lo = Math.min(...seen);
    const hi = Math.max(...seen);
    first = first === undefined ? lo : Math.min(first, lo);
    last = last === undefined ? hi : Math.max(last, hi);
    // A wide range around little data (since=2000-01-01): start at the data rather than chart empty years.
    if (last - first + 1 > MAX_BUCKETS) first = Math.max(first, lo);
  }
  if (first === undefined || last === undefined || last < first) {
    return { bucket, since: iso(filter.since), until: iso(filter.until), buckets: [], series: [] };
  }
  const count = last - first + 1;
  if (count > MAX_BUCKETS) {
    throw new ReportOptionsError([
      {
        path: "bucket",
        message: `${count} ${bucket} buckets is too many (at most ${MAX_BUCKETS}): use bucket=day or a shorter range`,
      },
    ]);
  }

  // Summed in exact nano-USD; each figure is rounded to micro-USD once, at the end (docs/pricing.md).
  interface Acc {
    useCase: string | null;
    nanos: bigint[];
    requests: number[];
    total: bigint;
  }
  const newAcc = (useCase: string | null): Acc => ({
    useCase,
    nanos: new Array<bigint>(count).fill(0n),
    requests: new Array<number>(count).fill(0),
    total: 0n,
  });
  const byUseCase = new Map<string | null, Acc>();
  for (const [b, useCase, requests, cost] of rows) {
    let s = byUseCase.get(useCase);
    if (!s) {
      s = newAcc(useCase);
      byUseCase.set(useCase, s);
    }
    s.nanos[b - first] = cost;
    s.requests[b - first] = requests;
    s.total += cost;
  }
  const all = [...byUseCase.values()].sort(
    (a, b) =>
      (a.total === b.total ? 0 : a.total < b.total ? 1 : -1) ||
      sum(b.requests) - sum(a.requests) ||
      String(a.useCase).localeCompare(String(b.useCase)),
  );
  const toSeries = (a: Acc, other = false): SpendSeries => ({
    useCase: a.useCase,
    ...(other ? { other: true } : {}),
    costMicros: a.nanos.map(ceilMicros),
    requests: a.requests,
    totalNanos: a.total.toString(),
    totalMicros: ceilMicros(a.total),
  });
  const series = all.slice(0, maxSeries).map((a) => toSeries(a));
  const rest = all.slice(maxSeries);
  if (rest.length) {
    const other = newAcc(null);
    for (const s of rest) {
      for (let i = 0; i < count; i++) {
        other.nanos[i]! += s.nanos[i]!;
        other.requests[i]! += s.requests[i]!;
      }
      other.total += s.total;
    }
    series.push(toSeries(other, true));
  }
  return {
    bucket,
    since: iso(filter.since),
    until: iso(filter.until),
    buckets: Array.from({ length: count }, (_, i) => new Date((first + i) * size).toISOString()),
    series,
  };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------------- instance

export interface InstanceOptions {
  /** At most this many calls (the earliest); the aggregates still cover every call. Default 1,000. */
  limit?: number;
}

export const instanceIdSchema = z.string().min(1).max(512);
export const instanceOptionsSchema = z
  .object({
    limit: z.preprocess(EMPTY_TO_UNDEFINED, z.coerce.number().int().min(1).max(10_000).optional()),
  })
  .strict();

/** Validates instance options from an untrusted source (`limit=50`); throws ReportOptionsError. */
export function parseInstanceOptions(input: unknown): InstanceOptions {
  return parseWith(instanceOptionsSchema, input);
}

export interface InstanceDetail {
  id: string;
  useCaseName: string | null;
  firstEventAt: string;
  lastEventAt: string;
  /** Distinct users and accounts of its calls (usually one each). */
  users: string[];
  accounts: string[];
  totals: ReportRow;
  /** Per step (key null: calls without a step), in the order the steps first ran. */
  steps: ReportRow[];
  /** Per requested model, most expensive first. */
  models: ReportRow[];
  /** Its calls, oldest first (at most `limit`). */
  calls: UsageEvent[];
  /** True when there are more calls than `calls` holds. */
  truncated: boolean;
}

/** One use-case instance: its calls over time, its steps and models. Null when no event has this id. */
export function instanceDetail(
  db: Database,
  id: string,
  options: InstanceOptions = {},
): InstanceDetail | null {
  const instanceId = parseWith(instanceIdSchema, id);
  const limit = parseInstanceOptions(options).limit ?? 1_000;
  // Every query here starts from events_by_instance (use_case_id leading).
  const filter: EventFilter = {
    since: undefined,
    until: undefined,
    where: ["e.use_case_id = ?"],
    params: [instanceId],
  };
  const where = whereClause(filter);
  const totals = totalsRow(db, filter);
  if (totals.requests === 0) return null;

  const [first, last, useCaseName] = db
    .prepare(`SELECT min(e.ts_ms), max(e.ts_ms), max(e.use_case_name) FROM events e ${where}`)
    .raw()
    .get(filter.params) as [number, number, string | null];
  const distinct = (column: string) =>
    (
      db
        .prepare(`SELECT DISTINCT e.${column} FROM events e ${where} AND e.${column} IS NOT NULL ORDER BY 1`)
        .pluck()
        .all(filter.params) as string[]
    ).slice(0, 100);
  const steps = (
    exact(
      db.prepare(
        `SELECT e.use_case_step, NULL, ${MEASURES}, min(e.ts_ms) AS started FROM events e ${where}
         GROUP BY e.use_case_step ORDER BY started, e.use_case_step NULLS FIRST`,
      ),
    )
      .raw()
      .all(filter.params) as [...RawRow, number][]
  ).map((r) => toReportRow(r.slice(0, RAW_WIDTH) as RawRow, "step"));
  const models = (
    exact(
      db.prepare(
        `SELECT e.request_model AS key, NULL, ${MEASURES} FROM events e ${where}
         GROUP BY e.request_model ORDER BY cost_nanos DESC, requests DESC, key`,
      ),
    )
      .raw()
      .all(filter.params) as RawRow[]
  ).map((r) => toReportRow(r, "model"));
  const cols = EVENT_COLUMNS.join(", ");
  const calls = db
    .prepare(`SELECT ${cols} FROM events e ${where} ORDER BY e.ts_ms, e.id LIMIT ?`)
    .all([...filter.params, limit])
    .map((row) => fromEventRow(row as Parameters<typeof fromEventRow>[0]));
  return {
    id: instanceId,
    useCaseName,
    firstEventAt: new Date(first).toISOString(),
    lastEventAt: new Date(last).toISOString(),
    users: distinct("user_id"),
    accounts: distinct("account_name"),
    totals,
    steps,
    models,
    calls,
    truncated: totals.requests > calls.length,
  };
}
