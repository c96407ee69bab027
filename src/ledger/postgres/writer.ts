import type pg from "pg";
import { EVENT_COLUMNS, type PendingEvent } from "../event-row.js";
import { KPI_COLUMNS, type PendingKpi } from "../kpi-writer.js";

type PgType = "text" | "int8" | "float8";
type EventColumn = (typeof EVENT_COLUMNS)[number];

/** The Postgres type of each events column (schema.ts), for the typed arrays `unnest` reads. */
const EVENT_TYPES: Record<EventColumn, PgType> = {
  id: "text",
  ts: "text",
  ts_ms: "int8",
  duration_ms: "float8",
  ttft_ms: "float8",
  provider: "text",
  operation: "text",
  request_model: "text",
  response_model: "text",
  stream: "int8",
  status: "text",
  http_status: "int8",
  error_type: "text",
  attempts: "int8",
  input_tokens: "int8",
  output_tokens: "int8",
  cache_read_tokens: "int8",
  cache_write_tokens: "int8",
  reasoning_tokens: "int8",
  cost_micros: "int8",
  currency: "text",
  cost_source: "text",
  use_case_name: "text",
  use_case_id: "text",
  use_case_version: "int8",
  use_case_step: "text",
  user_id: "text",
  account_name: "text",
  price_as_resource: "text",
  price_as_category: "text",
  resource_scope: "text",
  annotations: "text",
  limits_exceeded: "text",
  limit_count: "int8",
  tag_count: "int8",
  cost_nanos: "int8",
  cost_breakdown: "text",
  price_source: "text",
  usage_detail: "text",
  estimated_nanos: "int8",
};

const KPI_TYPES: Record<(typeof KPI_COLUMNS)[number], PgType> = {
  id: "text",
  ts: "text",
  ts_ms: "int8",
  name: "text",
  value_nanos: "int8",
  unit: "text",
  kind: "text",
  use_case_name: "text",
  use_case_id: "text",
  use_case_version: "int8",
  user_id: "text",
  account_name: "text",
};

const LABEL_COLUMNS = [
  "kind",
  "value",
  "event_id",
  "ts_ms",
  "use_case_name",
  "status",
  "input_tokens",
  "output_tokens",
  "cost_micros",
  "cost_nanos",
  "cost_source",
  "estimated_nanos",
] as const;
const LABEL_TYPES: PgType[] = [
  "text",
  "text",
  "text",
  "int8",
  "text",
  "text",
  "int8",
  "int8",
  "int8",
  "int8",
  "text",
  "int8",
];
const LABEL_SOURCES = [
  "ts_ms",
  "use_case_name",
  "status",
  "input_tokens",
  "output_tokens",
  "cost_micros",
  "cost_nanos",
  "cost_source",
  "estimated_nanos",
].map((c) => EVENT_COLUMNS.indexOf(c as EventColumn));

/**
 * `INSERT … SELECT r->>0, (r->>1)::int8, … FROM jsonb_array_elements($1::jsonb) AS r`: the whole batch is one
 * JSON parameter, an array of rows, each row the array of its column values, so a batch of any size is one
 * statement with one parameter. Measured against one array parameter per column (`unnest($1::text[], …)`): a
 * third less time per batch, and half the client CPU (JSON.stringify is native; pg's array literals are built
 * value by value in JS) — docs/benchmarks.md, fleet section. Re-sent ids are skipped: replay is idempotent.
 */
function jsonInsert(table: string, columns: readonly string[], types: readonly PgType[], conflict: string) {
  const values = types.map((t, i) => (t === "text" ? `r->>${i}` : `(r->>${i})::${t}`)).join(", ");
  return (
    `INSERT INTO ${table} (${columns.join(", ")}) SELECT ${values} ` +
    `FROM jsonb_array_elements($1::jsonb) AS r ON CONFLICT ${conflict} DO NOTHING`
  );
}

const INSERT_EVENTS = jsonInsert(
  "events",
  EVENT_COLUMNS,
  EVENT_COLUMNS.map((c) => EVENT_TYPES[c]),
  "(id)",
);
const INSERT_LABELS = jsonInsert("event_labels", LABEL_COLUMNS, LABEL_TYPES, "(kind, value, event_id)");
const INSERT_KPIS = jsonInsert(
  "kpis",
  KPI_COLUMNS,
  KPI_COLUMNS.map((c) => KPI_TYPES[c]),
  "(id)",
);

/**
 * Rows as one JSON text (bigints as decimal strings, which the casts read exactly). Postgres text (and jsonb)
 * cannot hold NUL, nor a lone UTF-16 surrogate; SQLite can: each becomes U+FFFD so the event is kept
 * (docs/fleet.md), as UTF-8 encoding does to a lone surrogate anyway. JSON.stringify escapes exactly these
 * (`\u0000`, `\udXXX`), so an escape after an even run of backslashes is one of them.
 */
function jsonRows(rows: readonly (readonly (string | number | bigint | null)[])[]): string {
  const text = JSON.stringify(rows, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  if (!text.includes("\\u0000") && !text.includes("\\ud")) return text;
  return text.replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g, "$1\\ufffd");
}

/**
 * Writes events (with their label rows) and KPI records in one transaction. Returns how many events were new.
 * Throws on any failure, leaving nothing written; the sink then spools the batch (spool.ts).
 */
export async function writePgBatch(
  client: pg.PoolClient,
  events: readonly PendingEvent[],
  kpis: readonly PendingKpi[],
): Promise<number> {
  if (events.length === 0 && kpis.length === 0) return 0;
  // The pool's sessions commit asynchronously (the limit gate's leases, pool.ts); an acknowledged batch must be
  // on disk, since the sink forgets (or deletes from the spool) what the server acknowledged. One round trip.
  await client.query("BEGIN; SET LOCAL synchronous_commit TO on");
  try {
    let inserted = 0;
    if (events.length > 0) {
      const r = await client.query(INSERT_EVENTS, [jsonRows(events.map((e) => e.values))]);
      inserted = r.rowCount ?? 0;
      const labels: (string | number | null)[][] = [];
      for (const e of events) {
        if (e.limitIds.length === 0 && e.tags.length === 0) continue;
        const copied = LABEL_SOURCES.map((i) => e.values[i] ?? null);
        for (const value of e.limitIds) labels.push(["limit", value, e.id, ...copied]);
        for (const value of e.tags) labels.push(["tag", value, e.id, ...copied]);
      }
      if (labels.length > 0) await client.query(INSERT_LABELS, [jsonRows(labels)]);
    }
    if (kpis.length > 0) await client.query(INSERT_KPIS, [jsonRows(kpis)]);
    await client.query("COMMIT");
    return inserted;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
