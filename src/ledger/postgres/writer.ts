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
 * `INSERT … SELECT * FROM unnest($1::t[], $2::t[], …)`: one array parameter per column, so a batch of any
 * size is one statement with a fixed parameter count (Postgres allows 65,535 parameters; a row per
 * parameter set would cap a batch at 1,680 events). Re-sent ids are skipped: replay is idempotent.
 */
function unnestInsert(table: string, columns: readonly string[], types: readonly PgType[], conflict: string) {
  const arrays = types.map((t, i) => `$${i + 1}::${t}[]`).join(", ");
  return `INSERT INTO ${table} (${columns.join(", ")}) SELECT * FROM unnest(${arrays}) ON CONFLICT ${conflict} DO NOTHING`;
}

const INSERT_EVENTS = unnestInsert(
  "events",
  EVENT_COLUMNS,
  EVENT_COLUMNS.map((c) => EVENT_TYPES[c]),
  "(id)",
);
const INSERT_LABELS = unnestInsert("event_labels", LABEL_COLUMNS, LABEL_TYPES, "(kind, value, event_id)");
const INSERT_KPIS = unnestInsert(
  "kpis",
  KPI_COLUMNS,
  KPI_COLUMNS.map((c) => KPI_TYPES[c]),
  "(id)",
);

/** Postgres text cannot hold NUL; SQLite can. Stored as U+FFFD so the event is kept (docs/fleet.md). */
function pgValue(v: string | number | bigint | null): string | number | null {
  if (typeof v === "string") return v.includes("\0") ? v.replaceAll("\0", "\uFFFD") : v;
  if (typeof v === "bigint") return v.toString();
  return v;
}

function columnArrays(rows: readonly (readonly (string | number | bigint | null)[])[], width: number) {
  const columns: (string | number | null)[][] = Array.from({ length: width }, () => new Array(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < width; c++) columns[c]![r] = pgValue(row[c] ?? null);
  }
  return columns;
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
      const r = await client.query(
        INSERT_EVENTS,
        columnArrays(
          events.map((e) => e.values),
          EVENT_COLUMNS.length,
        ),
      );
      inserted = r.rowCount ?? 0;
      const labels: (string | number | null)[][] = [];
      for (const e of events) {
        if (e.limitIds.length === 0 && e.tags.length === 0) continue;
        const copied = LABEL_SOURCES.map((i) => e.values[i] ?? null);
        for (const value of e.limitIds) labels.push(["limit", value, e.id, ...copied]);
        for (const value of e.tags) labels.push(["tag", value, e.id, ...copied]);
      }
      if (labels.length > 0) await client.query(INSERT_LABELS, columnArrays(labels, LABEL_COLUMNS.length));
    }
    if (kpis.length > 0) await client.query(INSERT_KPIS, columnArrays(kpis, KPI_COLUMNS.length));
    await client.query("COMMIT");
    return inserted;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
