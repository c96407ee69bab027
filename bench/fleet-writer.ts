/**
 * The fleet ledger's batch statement, A/B in one process (not a test): one 5,000-event batch (events and their
 * label rows, one transaction) through `writePgBatch` — one JSON parameter, `jsonb_array_elements` — against the
 * form it replaced, one array parameter per column (`unnest($1::text[], …)`, kept below as the reference),
 * alternating rounds. Prints wall time and this process's CPU per batch (medians of 10 rounds).
 *
 *   npx tsx bench/fleet-writer.ts [--server postgres://postgres@127.0.0.1:5432]
 * Creates a database of its own on the server and drops it after.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { EVENT_COLUMNS, type PendingEvent, toPendingEvent } from "../src/ledger/event-row.js";
import { migratePostgres } from "../src/ledger/postgres/schema.js";
import { writePgBatch } from "../src/ledger/postgres/writer.js";
import type { UsageEvent } from "../src/types.js";

const args = process.argv.slice(2);
const server = args[args.indexOf("--server") + 1]?.startsWith("postgres")
  ? args[args.indexOf("--server") + 1]!
  : "postgres://postgres@127.0.0.1:5432";

// ---- the reference: one array parameter per column, as src/ledger/postgres/writer.ts did before -------------
type PgType = "text" | "int8" | "float8";
const FLOATS = new Set(["duration_ms", "ttft_ms"]);
const TEXTS = new Set([
  "id",
  "ts",
  "provider",
  "operation",
  "request_model",
  "response_model",
  "status",
  "error_type",
  "currency",
  "cost_source",
  "use_case_name",
  "use_case_id",
  "use_case_step",
  "user_id",
  "account_name",
  "price_as_resource",
  "price_as_category",
  "resource_scope",
  "annotations",
  "limits_exceeded",
  "cost_breakdown",
  "price_source",
  "usage_detail",
  "kind",
  "value",
  "event_id",
]);
const typeOf = (c: string): PgType => (TEXTS.has(c) ? "text" : FLOATS.has(c) ? "float8" : "int8");
const LABELS = [
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
];
const LABEL_SOURCES = LABELS.slice(3).map((c) => (EVENT_COLUMNS as readonly string[]).indexOf(c));
const unnest = (table: string, cols: readonly string[], conflict: string) =>
  `INSERT INTO ${table} (${cols.join(", ")}) SELECT * FROM unnest(${cols.map((c, i) => `$${i + 1}::${typeOf(c)}[]`).join(", ")}) ON CONFLICT ${conflict} DO NOTHING`;
const UNNEST_EVENTS = unnest("events", EVENT_COLUMNS, "(id)");
const UNNEST_LABELS = unnest("event_labels", LABELS, "(kind, value, event_id)");
function columns(rows: readonly (readonly (string | number | null)[])[], width: number) {
  const out: (string | number | null)[][] = Array.from({ length: width }, () => new Array(rows.length));
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < width; c++) {
      const v = rows[r]![c] ?? null;
      out[c]![r] = typeof v === "string" && v.includes("\0") ? v.replaceAll("\0", "\uFFFD") : v;
    }
  }
  return out;
}
async function writeUnnest(client: pg.PoolClient, events: readonly PendingEvent[]): Promise<number> {
  await client.query("BEGIN; SET LOCAL synchronous_commit TO on");
  const r = await client.query(
    UNNEST_EVENTS,
    columns(
      events.map((e) => e.values),
      EVENT_COLUMNS.length,
    ),
  );
  const labels: (string | number | null)[][] = [];
  for (const e of events) {
    const copied = LABEL_SOURCES.map((i) => e.values[i] ?? null);
    for (const value of e.limitIds) labels.push(["limit", value, e.id, ...copied]);
  }
  if (labels.length > 0) await client.query(UNNEST_LABELS, columns(labels, LABELS.length));
  await client.query("COMMIT");
  return r.rowCount ?? 0;
}
// -------------------------------------------------------------------------------------------------------------

function event(prefix: string, i: number): UsageEvent {
  return {
    id: `${prefix}-${i}`,
    ts: new Date(Date.UTC(2025, 5, 1) + (i % 30) * 86_400_000 + i).toISOString(),
    durationMs: 400,
    provider: "openai",
    operation: "chat",
    requestModel: "gpt-4o-mini",
    responseModel: "gpt-4o-mini-2024-07-18",
    stream: false,
    status: "ok",
    httpStatus: 200,
    attempts: 1,
    usage: {
      inputTokens: 100 + (i % 900),
      outputTokens: 20 + (i % 300),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    costMicros: 1 + (i % 500),
    costNanos: 1_000 + (i % 500_000),
    currency: "USD",
    costSource: "computed",
    annotations: {
      useCaseName: `use-case-${i % 40}`,
      useCaseId: `${prefix}-inst-${i % 5_000}`,
      userId: `user-${i % 10_000}`,
      accountName: `acct-${i % 50}`,
      ...(i % 10 === 0 ? { limitIds: ["daily"] } : {}),
    },
    limitsExceeded: [],
  } as UsageEvent;
}
const name = `ct_bench_writer_${randomBytes(4).toString("hex")}`;
const admin = new pg.Client({ connectionString: `${server}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
// As the ledger's pool (src/ledger/postgres/pool.ts): sessions commit asynchronously, a batch turns it back on.
const pool = new pg.Pool({
  connectionString: `${server}/${name}`,
  max: 1,
  options: "-c synchronous_commit=off",
});
const c = await pool.connect();
await migratePostgres(c as never);
const variants: [string, (c: pg.PoolClient, e: PendingEvent[]) => Promise<number>][] = [
  ["writePgBatch (one JSON parameter)", (cl, e) => writePgBatch(cl, e, [])],
  ["reference (one array per column)", writeUnnest],
];
const res = new Map<string, { wall: number[]; cpu: number[] }>(
  variants.map(([n]) => [n, { wall: [], cpu: [] }]),
);
let k = 0;
for (let round = 0; round < 12; round++) {
  for (const [name, fn] of round % 2 ? [...variants].reverse() : variants) {
    const events = Array.from({ length: 5000 }, (_, j) => toPendingEvent(event(`r${k}`, j)));
    k++;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const n = await fn(c, events);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (n !== 5000) throw new Error(`${name} inserted ${n}`);
    if (round >= 2) {
      res.get(name)!.wall.push(wall);
      res.get(name)!.cpu.push((cpu.user + cpu.system) / 1000);
    }
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const [name, r] of res)
  console.log(
    `${name}: wall median ${med(r.wall).toFixed(1)} ms, client CPU median ${med(r.cpu).toFixed(1)} ms per 5,000 events`,
  );
c.release();
await pool.end();
await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
await admin.end();
