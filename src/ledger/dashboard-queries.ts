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
  // min/max walk the time index from either end: no scan beyond the totals' own.
  const [first, last] = db
    .prepare(`SELECT min(e.ts_ms), max(e.ts_ms) FROM events e ${whereClause(filter)}`)
    .raw()
    .get(filter.params) as [number | null, number | null];
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
  /** One value per bucket, integer micro-USD. */
  costMicros: number[];
  requests: number[];
  /** Over the whole range: the series' order (most expensive first). */
  totalMicros: number;
}

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
export function spendOverTime(db: Database, options: SpendOverTimeOptions = {}): SpendOverTimeResult {
  const opts = parseSpendOverTimeOptions(options);
  const bucket = opts.bucket ?? "day";
  const size = BUCKET_MS[bucket];
  const maxSeries = opts.series ?? 8;
  const filter = eventFilter(opts);
  const now = opts.now === undefined ? Date.now() : new Date(opts.now).getTime();
  // events_by_time covers ts_ms, use_case_name and the measures: a range scan, grouped in a small temp b-tree.
  const rows = db
    .prepare(
      `SELECT e.ts_ms / ${size} AS b, e.use_case_name, count(*), coalesce(sum(e.cost_micros), 0)
       FROM events e ${whereClause(filter)} GROUP BY b, e.use_case_name`,
    )
    .raw()
    .all(filter.params) as [number, string | null, number, number][];

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

  const byUseCase = new Map<string | null, SpendSeries>();
  for (const [b, useCase, requests, cost] of rows) {
    let s = byUseCase.get(useCase);
    if (!s) {
      s = {
        useCase,
        costMicros: new Array(count).fill(0),
        requests: new Array(count).fill(0),
        totalMicros: 0,
      };
      byUseCase.set(useCase, s);
    }
    s.costMicros[b - first] = cost;
    s.requests[b - first] = requests;
    s.totalMicros += cost;
  }
  const all = [...byUseCase.values()].sort(
    (a, b) =>
      b.totalMicros - a.totalMicros ||
      sum(b.requests) - sum(a.requests) ||
      String(a.useCase).localeCompare(String(b.useCase)),
  );
  const series = all.slice(0, maxSeries);
  const rest = all.slice(maxSeries);
  if (rest.length) {
    const other: SpendSeries = {
      useCase: null,
      other: true,
      costMicros: new Array(count).fill(0),
      requests: new Array(count).fill(0),
      totalMicros: 0,
    };
    for (const s of rest) {
      for (let i = 0; i < count; i++) {
        other.costMicros[i]! += s.costMicros[i]!;
        other.requests[i]! += s.requests[i]!;
      }
      other.totalMicros += s.totalMicros;
    }
    series.push(other);
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
    db
      .prepare(
        `SELECT e.use_case_step, NULL, ${MEASURES}, min(e.ts_ms) AS started FROM events e ${where}
         GROUP BY e.use_case_step ORDER BY started, e.use_case_step NULLS FIRST`,
      )
      .raw()
      .all(filter.params) as [...RawRow, number][]
  ).map((r) => toReportRow(r.slice(0, RAW_WIDTH) as RawRow, "step"));
  const models = (
    db
      .prepare(
        `SELECT e.request_model AS key, NULL, ${MEASURES} FROM events e ${where}
         GROUP BY e.request_model ORDER BY cost_micros DESC, requests DESC, key`,
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
