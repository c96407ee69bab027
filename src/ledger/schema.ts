import type { Database } from "better-sqlite3";
import { HOUR_DIMS, rebuildAllTimeRollups, rollupInserts, SQLITE_ROLLUP_TABLE } from "./rollups.js";

/**
 * One step of the ledger schema. `version` is what `PRAGMA user_version` holds once `up` has run.
 * To change the schema, append a migration with the next version; never edit one that has shipped.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  up(db: Database): void;
}

const V1_EVENTS = `
CREATE TABLE events (
  id                 TEXT PRIMARY KEY,
  ts                 TEXT NOT NULL,
  ts_ms              INTEGER NOT NULL,
  duration_ms        REAL NOT NULL,
  ttft_ms            REAL,
  provider           TEXT NOT NULL,
  operation          TEXT NOT NULL,
  request_model      TEXT NOT NULL,
  response_model     TEXT,
  stream             INTEGER NOT NULL,
  status             TEXT NOT NULL,
  http_status        INTEGER,
  error_type         TEXT,
  attempts           INTEGER NOT NULL,
  input_tokens       INTEGER NOT NULL,
  output_tokens      INTEGER NOT NULL,
  cache_read_tokens  INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  reasoning_tokens   INTEGER NOT NULL,
  cost_micros        INTEGER,
  currency           TEXT NOT NULL DEFAULT 'USD',
  cost_source        TEXT NOT NULL,
  use_case_name      TEXT,
  use_case_id        TEXT,
  use_case_version   INTEGER,
  use_case_step      TEXT,
  user_id            TEXT,
  account_name       TEXT,
  price_as_resource  TEXT,
  price_as_category  TEXT,
  resource_scope     TEXT,
  annotations        TEXT NOT NULL,
  limits_exceeded    TEXT NOT NULL,
  -- How many event_labels rows of each kind: lets --by limit / --by tag find unlabelled events without a join.
  limit_count        INTEGER NOT NULL,
  tag_count          INTEGER NOT NULL
);

-- List-valued annotations (limitIds, requestTags), one row per value. Clustered on (kind, value), so this
-- table is its own covering index for --by limit / --by tag: the report walks one kind in value order,
-- with no join and no sort. The event's filter and measure columns are copied here for that reason
-- (events are never updated, so the copies cannot drift).
CREATE TABLE event_labels (
  kind          TEXT NOT NULL CHECK (kind IN ('limit', 'tag')),
  value         TEXT NOT NULL,
  event_id      TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  ts_ms         INTEGER NOT NULL,
  use_case_name TEXT,
  status        TEXT NOT NULL,
  input_tokens  INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_micros   INTEGER,
  PRIMARY KEY (kind, value, event_id)
) WITHOUT ROWID;
`;

// Every index costs ingest throughput, so there are only three, each covering (the report never reads the
// wide rows). user and instance, the heaviest group-bys, get their own: the report scans them in key order
// with no sort. Every other singleton key, the day buckets and the unlabelled-event counts use the time
// index: a range scan on ts_ms and grouping in a small temp b-tree (few distinct values).
const V1_INDICES = `
CREATE INDEX events_by_user ON events
  (user_id, ts_ms, use_case_name, status, input_tokens, output_tokens, cost_micros);
CREATE INDEX events_by_instance ON events
  (use_case_id, ts_ms, use_case_name, status, input_tokens, output_tokens, cost_micros);
CREATE INDEX events_by_time ON events
  (ts_ms, use_case_name, account_name, use_case_step, request_model, provider,
   status, input_tokens, output_tokens, cost_micros, limit_count, tag_count);
`;

// Spending limits (src/limits). Money is INTEGER micro-USD. Spend is kept per (limit, window start), so a
// new window starts from zero by itself. Reservations are leases: a row counts only while expires_ms is in
// the future, and live processes renew theirs, so a killed worker's reservations stop counting after the TTL.
// `limit_meta.version` changes with every change to `limits` (triggers): engines compare it to reload.
const V2_LIMITS = `
CREATE TABLE limits (
  id                  TEXT PRIMARY KEY,
  max_micros          INTEGER NOT NULL CHECK (max_micros >= 0),
  window_kind         TEXT NOT NULL CHECK (window_kind IN ('day', 'week', 'month', 'total')),
  mode                TEXT NOT NULL CHECK (mode IN ('allow', 'block')),
  alert_at_pct        REAL,
  scope_user_id       TEXT,
  scope_account_name  TEXT,
  scope_use_case_name TEXT,
  source              TEXT NOT NULL CHECK (source IN ('config', 'cli')),
  updated_ms          INTEGER NOT NULL
);

CREATE TABLE limit_meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO limit_meta (key, value) VALUES ('version', 0);

CREATE TRIGGER limits_version_insert AFTER INSERT ON limits
BEGIN UPDATE limit_meta SET value = value + 1 WHERE key = 'version'; END;
CREATE TRIGGER limits_version_update AFTER UPDATE ON limits
BEGIN UPDATE limit_meta SET value = value + 1 WHERE key = 'version'; END;
CREATE TRIGGER limits_version_delete AFTER DELETE ON limits
BEGIN UPDATE limit_meta SET value = value + 1 WHERE key = 'version'; END;

CREATE TABLE limit_spend (
  limit_id        TEXT NOT NULL,
  window_start_ms INTEGER NOT NULL,
  spent_micros    INTEGER NOT NULL,
  PRIMARY KEY (limit_id, window_start_ms)
) WITHOUT ROWID;

-- One row per (call, limit) while the call is in flight; owner identifies the process's engine, seq the call.
-- Keyed by limit first: the reservations of one limit's window are one range scan, and with no secondary
-- index each insert or delete touches a single b-tree (this table is written twice per limited call).
CREATE TABLE limit_reservations (
  limit_id        TEXT NOT NULL,
  window_start_ms INTEGER NOT NULL,
  owner           INTEGER NOT NULL,
  seq             INTEGER NOT NULL,
  micros          INTEGER NOT NULL,
  expires_ms      INTEGER NOT NULL,
  PRIMARY KEY (limit_id, window_start_ms, owner, seq)
) WITHOUT ROWID;

-- An alert fires once per (limit, window, threshold) across processes: whoever inserts the row fires it.
CREATE TABLE limit_alerts (
  limit_id        TEXT NOT NULL,
  window_start_ms INTEGER NOT NULL,
  threshold_pct   REAL NOT NULL,
  fired_ms        INTEGER NOT NULL,
  PRIMARY KEY (limit_id, window_start_ms, threshold_pct)
) WITHOUT ROWID;
`;

// Reconciliation runs (src/reconcile): one row per run and provider, the per-day figures the dashboard
// shows, and spend allocated from the unexplained gap (kept apart from measured cost). Money is INTEGER
// nano-USD. `result` holds the run's JSON output as printed.
const V3_RECONCILIATIONS = `
CREATE TABLE reconciliations (
  id             TEXT PRIMARY KEY,
  run_ms         INTEGER NOT NULL,
  provider       TEXT NOT NULL,
  since_ms       INTEGER NOT NULL,
  until_ms       INTEGER NOT NULL,
  group_by       TEXT NOT NULL,
  tolerance_ppm  INTEGER NOT NULL,
  provider_nanos INTEGER NOT NULL,
  ledger_nanos   INTEGER NOT NULL,
  rows_outside   INTEGER NOT NULL,
  result         TEXT NOT NULL
);

CREATE TABLE reconciliation_days (
  run_id         TEXT NOT NULL REFERENCES reconciliations(id) ON DELETE CASCADE,
  provider       TEXT NOT NULL,
  day            TEXT NOT NULL,
  provider_nanos INTEGER NOT NULL,
  ledger_nanos   INTEGER NOT NULL,
  PRIMARY KEY (run_id, day)
);
CREATE INDEX reconciliation_days_by_day ON reconciliation_days (provider, day);

CREATE TABLE reconciliation_allocations (
  run_id          TEXT NOT NULL REFERENCES reconciliations(id) ON DELETE CASCADE,
  provider        TEXT NOT NULL,
  day             TEXT NOT NULL,
  use_case_name   TEXT,
  account_name    TEXT,
  basis_nanos     INTEGER NOT NULL,
  allocated_nanos INTEGER NOT NULL
);
CREATE INDEX reconciliation_allocations_by_day ON reconciliation_allocations (provider, day);
`;

// KPIs (src/kpis): outcomes recorded against use-case instances, and their definitions. Values are INTEGER
// nano-units (value × 1e9) so sums and costs per unit are exact. Reports join KPIs to events per instance
// (use_case_name, use_case_id): the index leads with those and covers what the aggregation reads.
const V4_KPIS = `
CREATE TABLE kpis (
  id               TEXT PRIMARY KEY,
  ts               TEXT NOT NULL,
  ts_ms            INTEGER NOT NULL,
  name             TEXT NOT NULL,
  value_nanos      INTEGER NOT NULL,
  unit             TEXT,
  kind             TEXT NOT NULL,
  use_case_name    TEXT NOT NULL,
  use_case_id      TEXT NOT NULL,
  use_case_version INTEGER,
  user_id          TEXT,
  account_name     TEXT
);
CREATE INDEX kpis_by_instance ON kpis (use_case_name, use_case_id, name, kind, value_nanos);

CREATE TABLE kpi_definitions (
  use_case_name TEXT NOT NULL,
  name          TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('count', 'boolean', 'usd', 'number')),
  goal_op       TEXT,
  goal_value    REAL,
  roi           INTEGER NOT NULL DEFAULT 0,
  description   TEXT,
  updated_ms    INTEGER NOT NULL,
  PRIMARY KEY (use_case_name, name)
);
`;

// Exact money and pricing provenance (docs/pricing.md). cost_nanos is the exact INTEGER nano-USD cost;
// cost_micros stays, derived from it (rounded up). Events written before this carry only whole micro-USD,
// which are exactly cost_micros × 1000 nano-USD. cost_breakdown: JSON nano-USD per dimension; usage_detail:
// JSON of the optional usage dimensions (cache TTLs, audio, server tools, service tier, …).
const V5_EXACT_MONEY = `
ALTER TABLE events ADD COLUMN cost_nanos INTEGER;
ALTER TABLE events ADD COLUMN cost_breakdown TEXT;
ALTER TABLE events ADD COLUMN price_source TEXT;
ALTER TABLE events ADD COLUMN usage_detail TEXT;
UPDATE events SET cost_nanos = cost_micros * 1000 WHERE cost_micros IS NOT NULL;
`;

// Reports sum exact nano-USD (docs/pricing.md "Exact money"): event_labels gets its copy of cost_nanos, and
// the covering report indices carry cost_nanos instead of the rounded cost_micros. Portable SQL (the
// correlated UPDATE and plain CREATE/DROP INDEX run on PostgreSQL as they are).
const V6_NANO_REPORTS = `
ALTER TABLE event_labels ADD COLUMN cost_nanos INTEGER;
UPDATE event_labels SET cost_nanos = (SELECT e.cost_nanos FROM events e WHERE e.id = event_labels.event_id);
DROP INDEX events_by_user;
DROP INDEX events_by_instance;
DROP INDEX events_by_time;
CREATE INDEX events_by_user ON events
  (user_id, ts_ms, use_case_name, status, input_tokens, output_tokens, cost_nanos);
CREATE INDEX events_by_instance ON events
  (use_case_id, ts_ms, use_case_name, status, input_tokens, output_tokens, cost_nanos);
CREATE INDEX events_by_time ON events
  (ts_ms, use_case_name, account_name, use_case_step, request_model, provider,
   status, input_tokens, output_tokens, cost_nanos, limit_count, tag_count);
`;

// Batch APIs (docs/providers.md "Batch APIs"): the annotations in force where a batch was created, so that its
// results, read later or by another process, are attributed to the work that made it. One row per batch.
const V7_BATCH_SCOPES = `
CREATE TABLE batch_scopes (
  provider    TEXT NOT NULL,
  batch_id    TEXT NOT NULL,
  annotations TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  PRIMARY KEY (provider, batch_id)
) WITHOUT ROWID;
`;

// Estimated costs, currency and re-pricing (docs/pricing.md "Estimated costs", "Currency", "Re-pricing").
// estimated_nanos: the estimate for attempts of a measured call that timed out unanswered before a retry;
// event_labels copies it and cost_source, so label reports split measured from estimated cost as events do,
// and the covering indices carry both. fx_rates: local units per USD as exact integer parts per 10^9, dated.
// reprice_runs / reprice_changes: every cost `costtrail reprice` rewrote, with the old cost kept.
const V8_ESTIMATES_FX_REPRICE = `
ALTER TABLE events ADD COLUMN estimated_nanos INTEGER;
ALTER TABLE event_labels ADD COLUMN cost_source TEXT;
ALTER TABLE event_labels ADD COLUMN estimated_nanos INTEGER;
UPDATE event_labels SET cost_source = (SELECT e.cost_source FROM events e WHERE e.id = event_labels.event_id);
DROP INDEX events_by_user;
DROP INDEX events_by_instance;
DROP INDEX events_by_time;
CREATE INDEX events_by_user ON events
  (user_id, ts_ms, use_case_name, status, input_tokens, output_tokens, cost_nanos, cost_source, estimated_nanos);
CREATE INDEX events_by_instance ON events
  (use_case_id, ts_ms, use_case_name, status, input_tokens, output_tokens, cost_nanos, cost_source,
   estimated_nanos);
CREATE INDEX events_by_time ON events
  (ts_ms, use_case_name, account_name, use_case_step, request_model, provider,
   status, input_tokens, output_tokens, cost_nanos, cost_source, estimated_nanos, limit_count, tag_count);

CREATE TABLE fx_rates (
  currency       TEXT NOT NULL,
  effective_date TEXT NOT NULL,
  rate_ppb       INTEGER NOT NULL CHECK (rate_ppb > 0),
  set_ms         INTEGER NOT NULL,
  PRIMARY KEY (currency, effective_date)
);

CREATE TABLE reprice_runs (
  id         TEXT PRIMARY KEY,
  run_ms     INTEGER NOT NULL,
  since_ms   INTEGER,
  until_ms   INTEGER,
  events     INTEGER NOT NULL,
  old_nanos  INTEGER NOT NULL,
  new_nanos  INTEGER NOT NULL
);

CREATE TABLE reprice_changes (
  run_id           TEXT NOT NULL REFERENCES reprice_runs(id) ON DELETE CASCADE,
  event_id         TEXT NOT NULL,
  old_cost_nanos   INTEGER,
  old_cost_micros  INTEGER,
  old_cost_source  TEXT NOT NULL,
  old_price_source TEXT,
  new_cost_nanos   INTEGER,
  new_cost_source  TEXT NOT NULL,
  new_price_source TEXT,
  PRIMARY KEY (run_id, event_id)
);
CREATE INDEX reprice_changes_by_event ON reprice_changes (event_id);
`;

// The labels table clustered by time (docs/ledger.md "Rollups", docs/benchmarks.md "SQLite ingest (issue 19,
// session 6)"): keyed (kind, value, event_id), each label row went into the middle of the tree (one insertion point
// per label value), and every full page there is split by redistributing its siblings: ~20 % of the writer's CPU
// per event. Keyed by (ts_ms, event_id, …), new rows append at the end. The raw edges of a label report (a range's
// partial days, e.kind = ? AND a ts_ms range) now seek the range instead of reading every label of the kind, and
// re-pricing finds an event's labels by (ts_ms, event_id). Unique exactly as before: an event id has one ts_ms.
// Same columns in the same order; the rows are copied as they are.
const LABEL_COLUMNS = `kind, value, event_id, ts_ms, use_case_name, status, input_tokens, output_tokens, cost_micros,
  cost_nanos, cost_source, estimated_nanos`;
const V11_LABELS_BY_TIME = `
CREATE TABLE event_labels_v11 (
  kind            TEXT NOT NULL CHECK (kind IN ('limit', 'tag')),
  value           TEXT NOT NULL,
  event_id        TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  ts_ms           INTEGER NOT NULL,
  use_case_name   TEXT,
  status          TEXT NOT NULL,
  input_tokens    INTEGER NOT NULL,
  output_tokens   INTEGER NOT NULL,
  cost_micros     INTEGER,
  cost_nanos      INTEGER,
  cost_source     TEXT,
  estimated_nanos INTEGER,
  PRIMARY KEY (ts_ms, event_id, kind, value)
) WITHOUT ROWID;
INSERT INTO event_labels_v11 (${LABEL_COLUMNS}) SELECT ${LABEL_COLUMNS} FROM event_labels ORDER BY ts_ms, event_id;
DROP TABLE event_labels;
ALTER TABLE event_labels_v11 RENAME TO event_labels;
`;

/** The ordered list of migrations. Append; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "events, event_labels and the report indices",
    up(db) {
      db.exec(V1_EVENTS);
      db.exec(V1_INDICES);
    },
  },
  {
    version: 2,
    description: "spending limits: definitions, spend per window, reservations, alerts",
    up(db) {
      db.exec(V2_LIMITS);
    },
  },
  {
    version: 3,
    description: "reconciliation runs, their per-day coverage and allocated spend",
    up(db) {
      db.exec(V3_RECONCILIATIONS);
    },
  },
  {
    version: 4,
    description: "KPIs recorded against use-case instances, and KPI definitions",
    up(db) {
      db.exec(V4_KPIS);
    },
  },
  {
    version: 5,
    description: "exact money: cost_nanos, cost_breakdown, price_source, usage_detail",
    up(db) {
      db.exec(V5_EXACT_MONEY);
    },
  },
  {
    version: 6,
    description: "reports in exact nano-USD: event_labels.cost_nanos, report indices on cost_nanos",
    up(db) {
      db.exec(V6_NANO_REPORTS);
    },
  },
  {
    version: 7,
    description: "batch_scopes: the annotations each batch was created under",
    up(db) {
      db.exec(V7_BATCH_SCOPES);
    },
  },
  {
    version: 8,
    description: "estimated costs (estimated_nanos, label cost_source), FX rates, re-pricing runs",
    up(db) {
      db.exec(V8_ESTIMATES_FX_REPRICE);
    },
  },
  {
    version: 9,
    description: "event_rollups: report measures per hour and day for each report dimension",
    up(db) {
      // Rollups (src/ledger/rollups.ts, docs/ledger.md "Rollups"), filled from the events already stored. Reports
      // by user read them, and their raw edges a time range (events_by_time): the user index only cost ingest.
      db.exec(SQLITE_ROLLUP_TABLE);
      db.exec("DROP INDEX IF EXISTS events_by_user");
      for (const sql of rollupInserts("events e", "event_labels e", "")) db.exec(sql);
      rebuildAllTimeRollups(db);
    },
  },
  {
    version: 10,
    description: "event_rollups: hour rows only for totals (the other dimensions keep days and all time)",
    up(db) {
      // Rollups of ingest (docs/ledger.md "Rollups"): reports read a range's partial days raw for every dimension
      // but `total`, so the writer no longer keeps their hour rows, which cost ~40 % of its upserts; the v9
      // backfill's hour rows of those dimensions go, and their day and all-time rows stay as they are.
      const kept = [...HOUR_DIMS].map((d) => `'${d}'`).join(", ");
      db.exec(`DELETE FROM event_rollups WHERE grain = 'h' AND dim NOT IN (${kept})`);
    },
  },
  {
    version: 11,
    description:
      "event_labels clustered by (ts_ms, event_id, kind, value): the writer appends its label rows",
    up(db) {
      db.exec(V11_LABELS_BY_TIME);
    },
  },
];

export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Brings the database to SCHEMA_VERSION. Runs inside one IMMEDIATE transaction and re-reads the version
 * under the write lock, so processes that open a fresh file at the same time migrate it exactly once.
 * A file written by a newer costtrail (higher version) is left as is.
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  const target = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  // Fast path: already current (the common case on every open), no write lock taken.
  const seen = schemaVersion(db);
  if (seen >= target) return { from: seen, to: seen };
  const run = db.transaction(() => {
    const from = schemaVersion(db);
    for (const m of migrations) {
      if (m.version <= from) continue;
      m.up(db);
      // PRAGMA does not take bound parameters; the version is an integer we control.
      db.pragma(`user_version = ${Math.trunc(m.version)}`);
    }
    return { from, to: Math.max(from, target) };
  });
  return run.immediate();
}
