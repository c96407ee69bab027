import type { Database } from "better-sqlite3";
import { z } from "zod";
import type { UsageEvent } from "../types.js";
import { parseTimeBound, type TimeBound } from "./durations.js";
import { EVENT_COLUMNS, fromEventRow } from "./event-row.js";
import {
  hasPreEpochEvents,
  hasRollups,
  REPORT_MEASURE_SQL,
  REPORT_MEASURES,
  type RollupDim,
  rollupUnion,
  type UnionSpec,
} from "./rollups.js";

export const REPORT_KEYS = [
  "user",
  "use-case",
  "instance",
  "account",
  "limit",
  "step",
  "version",
  "model",
  "provider",
  "tag",
  "day",
] as const;
export type ReportBy = (typeof REPORT_KEYS)[number];

export interface ReportRow {
  /** The group's value; null for events without one (no user, no tag, …). In `totals`, always null. */
  key: string | null;
  /** Only for `by: "instance"`: the instance's use case name. */
  useCaseName?: string | null;
  requests: number;
  /** Events with status "error" (blocked and aborted calls are not errors). */
  errors: number;
  /** Calls a block limit refused (status "blocked"): never sent, no cost. */
  blocked: number;
  inputTokens: number;
  outputTokens: number;
  /**
   * The exact sum of the events' measured nano-USD (`cost_nanos`, estimated events left out), as a decimal
   * string: exact beyond 2^53 (docs/pricing.md "Exact money"). costMicros and costUsd are derived from it.
   */
  costNanos: string;
  /**
   * Estimated nano-USD, apart from costNanos: events with `costSource: "estimated"` and the timed-out attempts
   * of measured calls (docs/pricing.md "Estimated costs"). A decimal string, exact.
   */
  estimatedNanos: string;
  /** costNanos in whole micro-USD, rounded up (a non-zero total never shows as 0). */
  costMicros: number;
  /** costNanos as a float USD, for display and charts only. */
  costUsd: number;
  /** Events whose cost is unknown (cost null); they add nothing to the cost. */
  unpriced: number;
  /** With a local currency (fx-rates.ts `inCurrency`): costNanos converted, exact local nano-units. */
  costLocalNanos?: string;
  /** With a local currency: estimatedNanos converted. */
  estimatedLocalNanos?: string;
}

export interface ReportResult {
  by: ReportBy;
  /** Resolved bounds as ISO strings (null when open). `since` is inclusive, `until` exclusive. */
  since: string | null;
  until: string | null;
  rows: ReportRow[];
  /** How many groups matched before `limit` cut the rows (equal to `rows.length` without a limit). */
  groupCount: number;
  /**
   * Over the matching events, each counted once. For `tag` and `limit` an event with several values
   * appears in several rows, so the rows may add up to more than the totals.
   */
  totals: ReportRow;
}

/** Query strings say "absent" with an empty value: `?since=` is no bound. */
export const EMPTY_TO_UNDEFINED = (v: unknown) => (v === "" || v === null ? undefined : v);

/** A `since` / `until` bound as `parseTimeBound` reads it; the issue message is its error. */
export const timeBoundSchema = z.preprocess(
  EMPTY_TO_UNDEFINED,
  z
    .union([z.string(), z.number(), z.date()])
    .superRefine((value, ctx) => {
      try {
        parseTimeBound(value, 0);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    })
    .optional(),
);

/**
 * Options of `report()`. Lenient where a dashboard passes query strings (empty strings are absent,
 * `limit` may be a numeric string), strict about everything else (unknown keys are rejected).
 */
export const reportOptionsSchema = z
  .object({
    by: z.enum(REPORT_KEYS),
    since: timeBoundSchema,
    until: timeBoundSchema,
    useCase: z.preprocess(EMPTY_TO_UNDEFINED, z.string().max(512).optional()),
    limit: z.preprocess(EMPTY_TO_UNDEFINED, z.coerce.number().int().min(1).max(1_000_000).optional()),
    /** `cost` (default): cost desc, then requests desc. `key`: by key ascending (e.g. days in order). */
    order: z.preprocess(EMPTY_TO_UNDEFINED, z.enum(["cost", "key"]).optional()),
    /** Reference time for relative bounds; defaults to the current time. */
    now: z.union([z.number(), z.date()]).optional(),
  })
  .strict();

export interface ReportOptions {
  by: ReportBy;
  /** Inclusive: `30m`, `24h`, `7d`, `2w`, an ISO date/time, epoch ms or a Date. */
  since?: TimeBound;
  /** Exclusive; same forms as `since`. */
  until?: TimeBound;
  /** Only events of this use case (name). */
  useCase?: string;
  /** At most this many rows; totals still cover every matching event. */
  limit?: number;
  order?: "cost" | "key";
  now?: number | Date;
}

export class ReportOptionsError extends Error {
  override readonly name = "ReportOptionsError";
  readonly issues: readonly { path: string; message: string }[];
  constructor(issues: readonly { path: string; message: string }[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; "));
    this.issues = issues;
  }

  static fromZod(error: z.ZodError): ReportOptionsError {
    return new ReportOptionsError(
      error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message })),
    );
  }
}

/**
 * Validates report options from an untrusted source (a dashboard's query string) and returns them typed;
 * throws ReportOptionsError with one readable message per problem.
 */
export function parseReportOptions(input: unknown): ReportOptions {
  const parsed = reportOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data as ReportOptions;
  throw ReportOptionsError.fromZod(parsed.error);
}

const DAY_MS = 86_400_000;

/** The time range and use case every ledger query filters on, as validated options give them. */
export interface EventFilterOptions {
  since?: TimeBound;
  until?: TimeBound;
  useCase?: string;
  now?: number | Date;
}

/** A filter resolved against "now": epoch-ms bounds and the SQL conditions on alias `e` with their parameters. */
export interface EventFilter {
  since: number | undefined;
  until: number | undefined;
  /** The use case filter, also among `where` (rollup reads apply it themselves). */
  useCase?: string | undefined;
  /** Conditions to AND together (empty: every event). */
  where: string[];
  params: (string | number)[];
}

/** Resolves relative bounds against `now` (default: the current time) into SQL conditions. */
export function eventFilter(opts: EventFilterOptions): EventFilter {
  const now = opts.now === undefined ? Date.now() : new Date(opts.now).getTime();
  const since = opts.since === undefined ? undefined : parseTimeBound(opts.since, now);
  const until = opts.until === undefined ? undefined : parseTimeBound(opts.until, now);
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (since !== undefined) {
    where.push("e.ts_ms >= ?");
    params.push(since);
  }
  if (until !== undefined) {
    where.push("e.ts_ms < ?");
    params.push(until);
  }
  if (opts.useCase !== undefined) {
    where.push("e.use_case_name = ?");
    params.push(opts.useCase);
  }
  return { since, until, useCase: opts.useCase, where, params };
}

/** `WHERE a AND b …` for a filter's conditions; empty when there are none. */
export function whereClause(filter: EventFilter): string {
  return filter.where.length ? `WHERE ${filter.where.join(" AND ")}` : "";
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Group expression per key. `day` groups on an integer (days since epoch, UTC) and is formatted in JS. */
const GROUP_EXPR: Record<ReportBy, string> = {
  user: "e.user_id",
  "use-case": "e.use_case_name",
  instance: "e.use_case_id",
  account: "e.account_name",
  step: "e.use_case_step",
  version: "e.use_case_version",
  // The requested model: stable across the dated snapshots a provider answers with.
  model: "e.request_model",
  provider: "e.provider",
  day: "e.ts_ms / 86400000",
  // Served from event_labels, which carries the same filter and measure columns (see schema.ts).
  limit: "e.value",
  tag: "e.value",
};

const LABEL_KIND: Partial<Record<ReportBy, "limit" | "tag">> = { limit: "limit", tag: "tag" };

// Column order of every report query; rows are fetched raw (arrays): for 100k-row reports (instances) building
// intermediate objects costs as much as the aggregation itself.
const MEASURE_EXPRS = REPORT_MEASURE_SQL;
export const MEASURES = MEASURE_EXPRS.map((m, i) =>
  i === 0 ? `${m} AS requests` : i === 4 ? `${m} AS cost_nanos` : m,
).join(",\n  ");
/**
 * Over the groups of a grouped query, before LIMIT: how many groups, then each measure summed (the totals,
 * when every event is in exactly one group). Computed from the grouped rows, so it costs no second scan.
 */
const OVER_ALL_GROUPS = ["count(*) OVER ()", ...MEASURE_EXPRS.map((m) => `sum(${m}) OVER ()`)].join(", ");

type Int = number | bigint;

interface Groups {
  rows: ReportRow[];
  groupCount: number;
  totals: ReportRow;
}

/** Every group of a grouped query, read whole: each event is in exactly one group, so the totals are their sums. */
function everyGroup(raw: RawRow[], by: ReportBy): Groups {
  const sums = ZERO_ROW();
  for (const r of raw) addMeasures(sums, r);
  return {
    rows: raw.map((r) => toReportRow(r, by)),
    groupCount: raw.length,
    totals: toReportRow(sums, null),
  };
}

/** A page of groups read with the window columns over all groups after each row's measures: count, then sums. */
function pageOfGroups(raw: (string | Int | null)[][], by: ReportBy): Groups {
  const first = raw[0];
  return {
    rows: raw.map((r) => toReportRow(r.slice(0, RAW_WIDTH) as RawRow, by)),
    groupCount: first ? Number(first[RAW_WIDTH]) : 0,
    totals: toReportRow(
      first ? ([null, null, ...first.slice(RAW_WIDTH + 1, 2 * RAW_WIDTH - 1)] as RawRow) : ZERO_ROW(),
      null,
    ),
  };
}

/**
 * A row of `SELECT key, use-case name, ${MEASURES}`, fetched with `.raw()`; statements that sum money run with
 * `safeIntegers()` (see `exact`), so integers may arrive as bigint.
 */
export type RawRow = [
  key: string | Int | null,
  useCaseName: string | null,
  requests: Int,
  errors: Int,
  inputTokens: Int,
  outputTokens: Int,
  costNanos: Int,
  unpriced: Int,
  blocked: Int,
  estimatedNanos: Int,
];

/** A statement whose integers come back as bigint: nano-USD sums stay exact past 2^53. */
export function exact<T extends { safeIntegers(on?: boolean): T }>(statement: T): T {
  return statement.safeIntegers(true);
}

const ZERO_ROW = (): RawRow => [null, null, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];

/** Adds measure columns of `r` into `into` (bigint, exact). */
function addMeasures(into: RawRow, r: readonly unknown[]): void {
  for (let i = 2; i < RAW_WIDTH; i++) into[i] = BigInt(into[i] as Int) + BigInt(r[i] as Int);
}

/** Key, use case name, then one column per measure. */
export const RAW_WIDTH = 2 + MEASURE_EXPRS.length;

export function toReportRow(raw: RawRow, by: ReportBy | null): ReportRow {
  const [
    rawKey,
    useCaseName,
    requests,
    errors,
    inputTokens,
    outputTokens,
    costNanos,
    unpriced,
    blocked,
    estimatedNanos,
  ] = raw;
  let key: string | null;
  if (rawKey === null) key = null;
  else if (by === "day") key = new Date(Number(rawKey) * DAY_MS).toISOString().slice(0, 10);
  else key = String(rawKey);
  const nanos = BigInt(costNanos);
  const row: ReportRow = {
    key,
    requests: Number(requests),
    errors: Number(errors),
    blocked: Number(blocked),
    inputTokens: Number(inputTokens),
    outputTokens: Number(outputTokens),
    costNanos: nanos.toString(),
    costMicros: Number((nanos + 999n) / 1000n),
    costUsd: Number(nanos) / 1e9,
    estimatedNanos: BigInt(estimatedNanos).toString(),
    unpriced: Number(unpriced),
  };
  if (by === "instance") row.useCaseName = useCaseName;
  return row;
}

/** Null keys last, then ascending, as the SQL `ORDER BY key IS NULL, key` does. */
function byKey(a: ReportRow, b: ReportRow): number {
  if (a.key === b.key) return 0;
  if (a.key === null) return 1;
  if (b.key === null) return -1;
  return a.key < b.key ? -1 : 1;
}

function byCost(a: ReportRow, b: ReportRow): number {
  const x = BigInt(a.costNanos);
  const y = BigInt(b.costNanos);
  return (x === y ? 0 : x < y ? 1 : -1) || b.requests - a.requests || byKey(a, b);
}

/** Cost per key over an optional time range and use case. One query layer for the CLI and the dashboard. */
export function report(
  db: Database,
  options: ReportOptions,
  /** `rollups: false` reads raw events only (the reference the rollup tests compare against). */
  read: { rollups?: boolean } = {},
): ReportResult {
  // Parsed even when typed: a JavaScript caller (or a cast) can still pass anything.
  const opts = parseReportOptions(options);
  if (read.rollups !== false && hasRollups(db)) return reportFromRollups(db, opts);
  const filter = eventFilter(opts);
  const { params } = filter;
  const whereSql = whereClause(filter);

  const by = opts.by;
  const kind = LABEL_KIND[by];
  const group = GROUP_EXPR[by];
  const and = filter.where.map((w) => ` AND ${w}`).join("");
  let rows: ReportRow[];
  let groupCount: number;
  let totals: ReportRow;
  if (kind) {
    // Labelled events, grouped per value, straight from the clustered labels table …
    const labelled = exact(
      db.prepare(
        `SELECT ${group}, NULL, ${MEASURES} FROM event_labels e WHERE e.kind = ?${and} GROUP BY ${group}`,
      ),
    )
      .raw()
      .all([kind, ...params]) as RawRow[];
    // … plus one row (key null) for events without any value of this kind, so every event is in some row.
    const none = exact(
      db.prepare(`SELECT NULL, NULL, ${MEASURES} FROM events e WHERE e.${kind}_count = 0${and}`),
    )
      .raw()
      .get(params) as RawRow;
    rows = [...labelled, ...(BigInt(none[2]) > 0n ? [none] : [])].map((r) => toReportRow(r, by));
    rows.sort(opts.order === "key" ? byKey : byCost);
    groupCount = rows.length;
    if (opts.limit !== undefined) rows = rows.slice(0, opts.limit);
    // An event with several values is in several rows: count each once.
    totals = totalsRow(db, filter);
  } else {
    // max(): any row's name would do (an instance has one use case); max() makes the choice explicit.
    const useCaseName = by === "instance" ? "max(e.use_case_name)" : "NULL";
    // The group expression, not its alias: Postgres takes an output name only as a whole ORDER BY item.
    const keyOrder = `${group} IS NULL, ${group}`;
    const order = opts.order === "key" ? keyOrder : `cost_nanos DESC, requests DESC, ${keyOrder}`;
    // Every event is in exactly one group, so the totals are the groups' sums: no second scan of the range.
    if (opts.limit === undefined) {
      const sql = `SELECT ${group} AS key, ${useCaseName}, ${MEASURES} FROM events e ${whereSql}
        GROUP BY ${group} ORDER BY ${order}`;
      ({ rows, groupCount, totals } = everyGroup(exact(db.prepare(sql)).raw().all(params) as RawRow[], by));
    } else {
      // Window functions run over every group before LIMIT: the group count and the totals, from one query.
      const sql = `SELECT ${group} AS key, ${useCaseName}, ${MEASURES}, ${OVER_ALL_GROUPS} FROM events e ${whereSql}
        GROUP BY ${group} ORDER BY ${order} LIMIT ?`;
      const raw = exact(db.prepare(sql))
        .raw()
        .all([...params, opts.limit]) as (string | Int | null)[][];
      ({ rows, groupCount, totals } = pageOfGroups(raw, by));
    }
  }

  return {
    by,
    since: iso(filter.since),
    until: iso(filter.until),
    rows,
    groupCount,
    totals,
  };
}

/** Every matching event counted once: the `totals` of a report, and of the dashboard's period. */
export function totalsRow(db: Database, filter: EventFilter, read: { rollups?: boolean } = {}): ReportRow {
  // Rollups answer the standard filter only (time range, use case); any other condition reads raw events.
  const standard =
    filter.where.length ===
    Number(filter.since !== undefined) +
      Number(filter.until !== undefined) +
      Number(filter.useCase !== undefined);
  if (read.rollups !== false && standard && hasRollups(db)) {
    const union = rollupUnion(
      {
        dim: "total",
        withUseCase: false,
        allTime: true,
        raw: [{ from: "events e", group: null, ucn: "NULL", where: [], params: [] }],
      },
      filter.since,
      filter.until,
      filter.useCase,
      db,
    );
    const sums = SUMS.map((s) => `coalesce(${s}, 0)`).join(", ");
    return toReportRow(
      exact(db.prepare(`SELECT NULL, NULL, ${sums} FROM (${union.sql}) u`))
        .raw()
        .get(union.params) as RawRow,
      null,
    );
  }
  return toReportRow(
    exact(db.prepare(`SELECT NULL, NULL, ${MEASURES} FROM events e ${whereClause(filter)}`))
      .raw()
      .get(filter.params) as RawRow,
    null,
  );
}

/** The union's measures summed, in RawRow order (requests … estimated nano-USD). */
const SUMS = MEASURE_EXPRS.map((_, i) => `sum(u.m${i})`);
const SUM_MEASURES = SUMS.map((m, i) =>
  i === 0 ? `${m} AS requests` : i === 4 ? `${m} AS cost_nanos` : m,
).join(", ");

/** The rollup dimension and key of each report key (use cases and days come from the `total` rows). */
// Keyed by the plain key (allTime): unfiltered reports read the all-time rows (rollups.ts Grain).
const ROLLUP_OF: Record<ReportBy, { dim: RollupDim; key?: UnionSpec["key"]; allTime?: boolean }> = {
  user: { dim: "user", allTime: true },
  "use-case": { dim: "total", key: (_g, c) => c.ucn },
  instance: { dim: "instance" },
  account: { dim: "account", allTime: true },
  step: { dim: "step", allTime: true },
  version: { dim: "version", allTime: true },
  model: { dim: "model", allTime: true },
  provider: { dim: "provider", allTime: true },
  day: { dim: "total", key: (g) => (g === "h" ? "r.bucket / 24" : "r.bucket") },
  limit: { dim: "limit", allTime: true },
  tag: { dim: "tag", allTime: true },
};

/**
 * `report()` from rollups (rollups.ts): whole hours and days from `event_rollups`, the partial edges from raw
 * events, summed per key in SQL. Exactly the rows of the raw query: the same sums, grouped, ordered and cut alike.
 */
function reportFromRollups(db: Database, opts: ReportOptions): ReportResult {
  const filter = eventFilter(opts);
  const by = opts.by;
  const kind = LABEL_KIND[by];
  const { dim, key, allTime } = ROLLUP_OF[by];
  if (
    !kind &&
    // Instances: only a page of them (each shown row looks its use case name up; all 125k are faster grouped).
    (allTime || (by === "instance" && opts.limit !== undefined && opts.limit <= 1_000)) &&
    filter.useCase === undefined &&
    filter.until === undefined &&
    (filter.since === undefined || filter.since <= 0) &&
    (filter.since === 0 || !hasPreEpochEvents(db))
  )
    return allTimeReport(db, opts, filter, dim);
  const raw: UnionSpec["raw"] = kind
    ? [
        { from: "event_labels e", group: "e.value", ucn: "NULL", where: ["e.kind = ?"], params: [kind] },
        { from: "events e", group: null, ucn: "NULL", where: [`e.${kind}_count = 0`], params: [] },
      ]
    : [
        {
          from: "events e",
          group: GROUP_EXPR[by],
          ucn: by === "instance" ? "max(e.use_case_name)" : "NULL",
          where: [],
          params: [],
        },
      ];
  const union = rollupUnion(
    { dim, ...(key ? { key } : {}), withUseCase: by === "instance", allTime: allTime === true, raw },
    filter.since,
    filter.until,
    filter.useCase,
    db,
  );
  const useCaseName = by === "instance" ? "max(u.ucn)" : "NULL";
  const from = `FROM (${union.sql}) u GROUP BY u.k`;
  let rows: ReportRow[];
  let groupCount: number;
  let totals: ReportRow;
  if (kind) {
    const all = exact(db.prepare(`SELECT u.k, NULL, ${SUM_MEASURES} ${from}`))
      .raw()
      .all(union.params) as RawRow[];
    rows = all.map((r) => toReportRow(r, by));
    rows.sort(opts.order === "key" ? byKey : byCost);
    groupCount = rows.length;
    if (opts.limit !== undefined) rows = rows.slice(0, opts.limit);
    totals = totalsRow(db, filter);
  } else {
    const keyOrder = "u.k IS NULL, u.k";
    const order = opts.order === "key" ? keyOrder : `cost_nanos DESC, requests DESC, ${keyOrder}`;
    if (opts.limit === undefined) {
      const all = exact(
        db.prepare(`SELECT u.k AS key, ${useCaseName}, ${SUM_MEASURES} ${from} ORDER BY ${order}`),
      )
        .raw()
        .all(union.params) as RawRow[];
      ({ rows, groupCount, totals } = everyGroup(all, by));
    } else {
      const overAll = ["count(*) OVER ()", ...SUMS.map((m) => `sum(${m}) OVER ()`)].join(", ");
      const all = exact(
        db.prepare(
          `SELECT u.k AS key, ${useCaseName}, ${SUM_MEASURES}, ${overAll} ${from} ORDER BY ${order} LIMIT ?`,
        ),
      )
        .raw()
        .all([...union.params, opts.limit]) as (string | Int | null)[][];
      ({ rows, groupCount, totals } = pageOfGroups(all, by));
    }
  }
  return { by, since: iso(filter.since), until: iso(filter.until), rows, groupCount, totals };
}

/**
 * An unfiltered report of a plain key over a ledger without events before the epoch: every group is one
 * all-time rollup row, already summed (rollups.ts Grain), so rows are read, ordered and cut with no grouping.
 * The same rows as the raw query: its groups are the keys of the events, each summed over all of them.
 */
function allTimeReport(db: Database, opts: ReportOptions, filter: EventFilter, dim: RollupDim): ReportResult {
  const by = opts.by;
  const k = "nullif(r.key_k, X'')";
  const keyOrder = `${k} IS NULL, ${k}`;
  const order = opts.order === "key" ? keyOrder : `r.cost_nanos DESC, r.requests DESC, ${keyOrder}`;
  const measures = REPORT_MEASURES.map((c) => `r.${c}`).join(", ");
  const from = "FROM event_rollups r WHERE r.dim = ? AND r.grain = 'a'";
  const limited = opts.limit !== undefined;
  const raw = exact(
    db.prepare(`SELECT ${k}, NULL, ${measures} ${from} ORDER BY ${order}${limited ? " LIMIT ?" : ""}`),
  )
    .raw()
    .all(limited ? [dim, opts.limit!] : [dim]) as RawRow[];
  if (by === "instance" && raw.length) {
    // The raw query's max(e.use_case_name) per instance, for the rows shown (events_by_instance).
    const keys = raw.map((r) => r[0]).filter((x) => x !== null);
    const names = new Map<unknown, string | null>();
    for (let i = 0; i < keys.length; i += 500) {
      const part = keys.slice(i, i + 500);
      for (const [id, name] of db
        .prepare(
          `SELECT e.use_case_id, max(e.use_case_name) FROM events e
           WHERE e.use_case_id IN (${part.map(() => "?").join(", ")}) GROUP BY e.use_case_id`,
        )
        .raw()
        .all(part as (string | number)[]) as [unknown, string | null][])
        names.set(id, name);
    }
    const noId = raw.some((r) => r[0] === null)
      ? (db.prepare("SELECT max(e.use_case_name) FROM events e WHERE e.use_case_id IS NULL").pluck().get() as
          | string
          | null)
      : null;
    for (const r of raw) r[1] = r[0] === null ? noId : (names.get(r[0]) ?? null);
  }
  const rows = raw.map((r) => toReportRow(r, by));
  const groupCount = limited ? Number(db.prepare(`SELECT count(*) ${from}`).pluck().get(dim)) : rows.length;
  // Every event is in exactly one group: the totals are the all-time totals.
  return {
    by,
    since: iso(filter.since),
    until: iso(filter.until),
    rows,
    groupCount,
    totals: totalsRow(db, filter),
  };
}

/** The last `n` events (most recent last, like `tail`). */
export function recentEvents(db: Database, n: number): UsageEvent[] {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError("n must be a positive integer");
  const cols = EVENT_COLUMNS.join(", ");
  const rows = db
    .prepare(
      `SELECT ${cols} FROM (SELECT ${cols} FROM events ORDER BY ts_ms DESC, id DESC LIMIT ?) AS recent ORDER BY ts_ms, id`,
    )
    .all(n);
  return rows.map((row) => fromEventRow(row as Parameters<typeof fromEventRow>[0]));
}
