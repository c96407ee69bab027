import type { Database } from "better-sqlite3";
import { z } from "zod";
import type { UsageEvent } from "../types.js";
import { parseTimeBound, type TimeBound } from "./durations.js";
import { EVENT_COLUMNS, fromEventRow } from "./event-row.js";

export const REPORT_KEYS = [
  "user",
  "use-case",
  "instance",
  "account",
  "limit",
  "step",
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
  inputTokens: number;
  outputTokens: number;
  /** Integer micro-USD over priced events. */
  costMicros: number;
  costUsd: number;
  /** Events whose cost is unknown (costMicros null); they add nothing to costMicros. */
  unpriced: number;
}

export interface ReportResult {
  by: ReportBy;
  /** Resolved bounds as ISO strings (null when open). `since` is inclusive, `until` exclusive. */
  since: string | null;
  until: string | null;
  rows: ReportRow[];
  /**
   * Over the matching events, each counted once. For `tag` and `limit` an event with several values
   * appears in several rows, so the rows may add up to more than the totals.
   */
  totals: ReportRow;
}

const EMPTY_TO_UNDEFINED = (v: unknown) => (v === "" || v === null ? undefined : v);

const timeBoundSchema = z.preprocess(
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
}

/**
 * Validates report options from an untrusted source (a dashboard's query string) and returns them typed;
 * throws ReportOptionsError with one readable message per problem.
 */
export function parseReportOptions(input: unknown): ReportOptions {
  const parsed = reportOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data as ReportOptions;
  throw new ReportOptionsError(
    parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message })),
  );
}

const DAY_MS = 86_400_000;

/** Group expression per key. `day` groups on an integer (days since epoch, UTC) and is formatted in JS. */
const GROUP_EXPR: Record<ReportBy, string> = {
  user: "e.user_id",
  "use-case": "e.use_case_name",
  instance: "e.use_case_id",
  account: "e.account_name",
  step: "e.use_case_step",
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
const MEASURES = `count(*) AS requests,
  coalesce(sum(e.status = 'error'), 0),
  coalesce(sum(e.input_tokens), 0),
  coalesce(sum(e.output_tokens), 0),
  coalesce(sum(e.cost_micros), 0) AS cost_micros,
  count(*) - count(e.cost_micros)`;

type RawRow = [
  key: string | number | null,
  useCaseName: string | null,
  requests: number,
  errors: number,
  inputTokens: number,
  outputTokens: number,
  costMicros: number,
  unpriced: number,
];

function toReportRow(raw: RawRow, by: ReportBy | null): ReportRow {
  const [rawKey, useCaseName, requests, errors, inputTokens, outputTokens, costMicros, unpriced] = raw;
  let key: string | null;
  if (rawKey === null) key = null;
  else if (by === "day") key = new Date(Number(rawKey) * DAY_MS).toISOString().slice(0, 10);
  else key = String(rawKey);
  const row: ReportRow = {
    key,
    requests,
    errors,
    inputTokens,
    outputTokens,
    costMicros,
    costUsd: costMicros / 1e6,
    unpriced,
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
  return b.costMicros - a.costMicros || b.requests - a.requests || byKey(a, b);
}

/** Cost per key over an optional time range and use case. One query layer for the CLI and the dashboard. */
export function report(db: Database, options: ReportOptions): ReportResult {
  // Parsed even when typed: a JavaScript caller (or a cast) can still pass anything.
  const opts = parseReportOptions(options);
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
  const whereSql = where.length ? `WHERE ${where.join(" AND ")}` : "";

  const by = opts.by;
  const kind = LABEL_KIND[by];
  const group = GROUP_EXPR[by];
  const and = where.map((w) => ` AND ${w}`).join("");
  let rows: ReportRow[];
  if (kind) {
    // Labelled events, grouped per value, straight from the clustered labels table …
    const labelled = db
      .prepare(
        `SELECT ${group}, NULL, ${MEASURES} FROM event_labels e WHERE e.kind = ?${and} GROUP BY ${group}`,
      )
      .raw()
      .all([kind, ...params]) as RawRow[];
    // … plus one row (key null) for events without any value of this kind, so every event is in some row.
    const none = db
      .prepare(`SELECT NULL, NULL, ${MEASURES} FROM events e WHERE e.${kind}_count = 0${and}`)
      .raw()
      .get(params) as RawRow;
    rows = [...labelled, ...(none[2] > 0 ? [none] : [])].map((r) => toReportRow(r, by));
    rows.sort(opts.order === "key" ? byKey : byCost);
    if (opts.limit !== undefined) rows = rows.slice(0, opts.limit);
  } else {
    // max(): any row's name would do (an instance has one use case); max() makes the choice explicit.
    const useCaseName = by === "instance" ? "max(e.use_case_name)" : "NULL";
    const order =
      opts.order === "key" ? "key IS NULL, key" : "cost_micros DESC, requests DESC, key IS NULL, key";
    const limit = opts.limit !== undefined ? "LIMIT ?" : "";
    const sql = `SELECT ${group} AS key, ${useCaseName}, ${MEASURES} FROM events e ${whereSql}
      GROUP BY ${group} ORDER BY ${order} ${limit}`;
    const rowParams = opts.limit !== undefined ? [...params, opts.limit] : params;
    rows = (db.prepare(sql).raw().all(rowParams) as RawRow[]).map((r) => toReportRow(r, by));
  }

  const totals = toReportRow(
    db.prepare(`SELECT NULL, NULL, ${MEASURES} FROM events e ${whereSql}`).raw().get(params) as RawRow,
    null,
  );

  return {
    by,
    since: since === undefined ? null : new Date(since).toISOString(),
    until: until === undefined ? null : new Date(until).toISOString(),
    rows,
    totals,
  };
}

/** The last `n` events (most recent last, like `tail`). */
export function recentEvents(db: Database, n: number): UsageEvent[] {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError("n must be a positive integer");
  const cols = EVENT_COLUMNS.join(", ");
  const rows = db
    .prepare(
      `SELECT ${cols} FROM (SELECT ${cols} FROM events ORDER BY ts_ms DESC, id DESC LIMIT ?) ORDER BY ts_ms, id`,
    )
    .all(n);
  return rows.map((row) => fromEventRow(row as Parameters<typeof fromEventRow>[0]));
}
