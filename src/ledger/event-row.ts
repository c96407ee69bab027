import type {
  Annotations,
  CostBreakdown,
  CostSource,
  EventStatus,
  TokenUsage,
  UsageEvent,
} from "../types.js";

/** The optional usage dimensions, stored together as JSON in `usage_detail`. */
const USAGE_DETAIL_FIELDS = [
  "cacheWrite5mTokens",
  "cacheWrite1hTokens",
  "audioInputTokens",
  "audioOutputTokens",
  "imageInputTokens",
  "serverToolCalls",
  "serviceTier",
  "batch",
  "inferenceGeo",
] as const satisfies readonly (keyof TokenUsage)[];

/**
 * Annotation keys that have their own column of `events`, and that column. The `annotations` JSON leaves out such a
 * key when the column holds its value exactly (a string, or a safe integer for the version), and `fromEventRow`
 * puts it back: the column and the JSON never hold the same value twice, which keeps the row, the batch the
 * writer thread decodes and the string it binds short (docs/benchmarks.md "SQLite ingest (issue 19, session 6)").
 * Rows written before keep every key in the JSON, which wins over the column.
 */
const ANNOTATION_COLUMNS = {
  useCaseName: "use_case_name",
  useCaseId: "use_case_id",
  useCaseVersion: "use_case_version",
  useCaseStep: "use_case_step",
  userId: "user_id",
  accountName: "account_name",
  priceAsResource: "price_as_resource",
  priceAsCategory: "price_as_category",
  resourceScope: "resource_scope",
} as const satisfies Partial<Record<keyof Annotations, string>>;
const ANNOTATION_COLUMN_ENTRIES = Object.entries(ANNOTATION_COLUMNS) as [
  keyof typeof ANNOTATION_COLUMNS,
  (typeof ANNOTATION_COLUMNS)[keyof typeof ANNOTATION_COLUMNS],
][];

/** Whether the column of annotation `key` holds `value` exactly (see ANNOTATION_COLUMNS). */
function inItsColumn(key: string, value: unknown): boolean {
  if (!Object.hasOwn(ANNOTATION_COLUMNS, key)) return false;
  if (key === "useCaseVersion") return Number.isSafeInteger(value);
  return typeof value === "string";
}

/** The `annotations` JSON: the annotations without the keys their columns hold (ANNOTATION_COLUMNS). */
function annotationsJson(a: Annotations): string {
  let rest: Record<string, unknown> | undefined;
  for (const key in a) {
    if (!Object.hasOwn(a, key)) continue;
    const value = (a as Record<string, unknown>)[key];
    if (inItsColumn(key, value)) continue;
    rest ??= {};
    rest[key] = value;
  }
  return rest ? JSON.stringify(rest) : "{}";
}

/** Column order of `events`, shared by the writer (positional parameters) and the reader. */
export const EVENT_COLUMNS = [
  "id",
  "ts",
  "ts_ms",
  "duration_ms",
  "ttft_ms",
  "provider",
  "operation",
  "request_model",
  "response_model",
  "stream",
  "status",
  "http_status",
  "error_type",
  "attempts",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "cost_micros",
  "currency",
  "cost_source",
  "use_case_name",
  "use_case_id",
  "use_case_version",
  "use_case_step",
  "user_id",
  "account_name",
  "price_as_resource",
  "price_as_category",
  "resource_scope",
  "annotations",
  "limits_exceeded",
  "limit_count",
  "tag_count",
  "cost_nanos",
  "cost_breakdown",
  "price_source",
  "usage_detail",
  "estimated_nanos",
] as const;

/** Position of a column in `PendingEvent.values`. */
export const COLUMN_INDEX = Object.fromEntries(EVENT_COLUMNS.map((c, i) => [c, i])) as Record<
  (typeof EVENT_COLUMNS)[number],
  number
>;

/**
 * An event converted to bind values at `write()` time: a snapshot, so later mutation of the event is moot.
 * Kept lean (it may sit in a 100k queue): the label rows are built by the writer from these.
 */
export interface PendingEvent {
  readonly id: string;
  /** One per EVENT_COLUMNS entry. */
  readonly values: readonly (string | number | null)[];
  readonly limitIds: readonly string[];
  readonly tags: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const int = (v: unknown): number | null =>
  typeof v === "number" && Number.isFinite(v) ? Math.round(v) : null;
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const tokens = (v: unknown): number => int(v) ?? 0;

function uniqueStrings(list: unknown): readonly string[] {
  if (!Array.isArray(list) || list.length === 0) return NONE;
  if (list.length === 1) return typeof list[0] === "string" ? [list[0]] : NONE;
  return [...new Set(list.filter((v): v is string => typeof v === "string"))];
}

/** Throws only for an event without an id (nothing sensible can be stored); other gaps get neutral values. */
export function toPendingEvent(e: UsageEvent): PendingEvent {
  if (typeof e.id !== "string" || e.id === "") throw new TypeError("usage event has no id");
  const a: Annotations = e.annotations ?? {};
  const parsed = Date.parse(e.ts);
  // A malformed timestamp should not lose the cost: file it under "now", keep the text as given.
  const tsMs = Number.isFinite(parsed) ? parsed : Date.now();
  const ts = Number.isFinite(parsed) ? e.ts : new Date(tsMs).toISOString();
  const u = e.usage ?? ({} as Partial<UsageEvent["usage"]>);
  const limitIds = uniqueStrings(a.limitIds);
  const tags = uniqueStrings(a.requestTags);
  const values = [
    e.id,
    ts,
    tsMs,
    num(e.durationMs) ?? 0,
    num(e.ttftMs),
    String(e.provider),
    String(e.operation),
    String(e.requestModel),
    str(e.responseModel),
    e.stream ? 1 : 0,
    String(e.status),
    int(e.httpStatus),
    str(e.errorType),
    int(e.attempts) ?? 1,
    tokens(u.inputTokens),
    tokens(u.outputTokens),
    tokens(u.cacheReadTokens),
    tokens(u.cacheWriteTokens),
    tokens(u.reasoningTokens),
    int(e.costMicros),
    e.currency ?? "USD",
    String(e.costSource ?? (e.costMicros == null ? "unpriced" : "computed")),
    str(a.useCaseName),
    str(a.useCaseId),
    int(a.useCaseVersion),
    str(a.useCaseStep),
    str(a.userId),
    str(a.accountName),
    str(a.priceAsResource),
    str(a.priceAsCategory),
    str(a.resourceScope),
    annotationsJson(a),
    JSON.stringify(uniqueStrings(e.limitsExceeded)),
    limitIds.length,
    tags.length,
    costNanosOf(e),
    e.costBreakdown && typeof e.costBreakdown === "object" ? JSON.stringify(e.costBreakdown) : null,
    str(e.priceSource),
    usageDetailOf(u),
    typeof e.estimatedNanos === "number" && Number.isSafeInteger(e.estimatedNanos) && e.estimatedNanos > 0
      ? e.estimatedNanos
      : null,
  ];
  return { id: e.id, values, limitIds, tags };
}

/** Exact nano-USD; an event priced elsewhere with only costMicros is exactly costMicros × 1000. */
function costNanosOf(e: UsageEvent): number | null {
  if (typeof e.costNanos === "number" && Number.isSafeInteger(e.costNanos)) return e.costNanos;
  const micros = int(e.costMicros);
  return micros === null ? null : micros * 1000;
}

function usageDetailOf(u: Partial<TokenUsage>): string | null {
  let detail: Record<string, unknown> | undefined;
  for (const field of USAGE_DETAIL_FIELDS) {
    const v = u[field];
    if (v === undefined || v === null) continue;
    detail ??= {};
    detail[field] = v;
  }
  return detail ? JSON.stringify(detail) : null;
}

type Row = Record<(typeof EVENT_COLUMNS)[number], unknown>;

function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== "string") return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** The annotations of a stored row: the keys kept in their columns, then the JSON's (which win: older rows). */
function annotationsOf(row: Row): Annotations {
  const parsed = parseJson<unknown>(row.annotations, {});
  const json = (
    parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {}
  ) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, column] of ANNOTATION_COLUMN_ENTRIES) {
    const value = row[column];
    if (value !== null && value !== undefined && !Object.hasOwn(json, key)) out[key] = value;
  }
  return Object.assign(out, json) as Annotations;
}

/** Rebuilds the UsageEvent from a stored row (annotations: the JSON column and the columns of annotation keys). */
export function fromEventRow(row: Row): UsageEvent {
  const event: UsageEvent = {
    id: row.id as string,
    ts: row.ts as string,
    durationMs: row.duration_ms as number,
    provider: row.provider as string,
    operation: row.operation as string,
    requestModel: row.request_model as string,
    stream: row.stream === 1,
    status: row.status as EventStatus,
    attempts: row.attempts as number,
    usage: {
      inputTokens: row.input_tokens as number,
      outputTokens: row.output_tokens as number,
      cacheReadTokens: row.cache_read_tokens as number,
      cacheWriteTokens: row.cache_write_tokens as number,
      reasoningTokens: row.reasoning_tokens as number,
    },
    costMicros: (row.cost_micros as number | null) ?? null,
    currency: "USD",
    costSource: row.cost_source as CostSource,
    annotations: annotationsOf(row),
    limitsExceeded: parseJson<string[]>(row.limits_exceeded, []),
  };
  if (row.ttft_ms != null) event.ttftMs = row.ttft_ms as number;
  if (row.response_model != null) event.responseModel = row.response_model as string;
  if (row.http_status != null) event.httpStatus = row.http_status as number;
  if (row.error_type != null) event.errorType = row.error_type as string;
  if (row.cost_nanos != null) event.costNanos = Number(row.cost_nanos);
  const breakdown = parseJson<CostBreakdown | null>(row.cost_breakdown, null);
  if (breakdown) event.costBreakdown = breakdown;
  if (typeof row.price_source === "string") event.priceSource = row.price_source;
  if (row.estimated_nanos != null) event.estimatedNanos = Number(row.estimated_nanos);
  const detail = parseJson<Partial<TokenUsage> | null>(row.usage_detail, null);
  if (detail && typeof detail === "object") Object.assign(event.usage, pick(detail));
  return event;
}

function pick(detail: Partial<TokenUsage>): Partial<TokenUsage> {
  const out: Record<string, unknown> = {};
  for (const field of USAGE_DETAIL_FIELDS) if (detail[field] !== undefined) out[field] = detail[field];
  return out as Partial<TokenUsage>;
}
