import type pg from "pg";

/**
 * The Postgres ledger's schema: the same logical tables, columns and meanings as the SQLite ledger
 * (src/ledger/schema.ts), version for version, so every report reads both alike. Differences, each for a
 * reason: integers are BIGINT (SQLite's INTEGER is 64-bit), REAL is DOUBLE PRECISION, text is COLLATE "C"
 * (byte order, as SQLite's BINARY, so sorted output matches), no WITHOUT ROWID, no foreign key from
 * event_labels (the SQLite ledger does not check its own either; the writer keeps the pair in one transaction),
 * and the indices suit Postgres's planner (docs/fleet.md). Append a migration; never edit one that has shipped.
 */
export interface PgMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

const T = 'TEXT COLLATE "C"';

const V1_EVENTS = `
CREATE TABLE events (
  id                 ${T} PRIMARY KEY,
  ts                 ${T} NOT NULL,
  ts_ms              BIGINT NOT NULL,
  duration_ms        DOUBLE PRECISION NOT NULL,
  ttft_ms            DOUBLE PRECISION,
  provider           ${T} NOT NULL,
  operation          ${T} NOT NULL,
  request_model      ${T} NOT NULL,
  response_model     ${T},
  stream             BIGINT NOT NULL,
  status             ${T} NOT NULL,
  http_status        BIGINT,
  error_type         ${T},
  attempts           BIGINT NOT NULL,
  input_tokens       BIGINT NOT NULL,
  output_tokens      BIGINT NOT NULL,
  cache_read_tokens  BIGINT NOT NULL,
  cache_write_tokens BIGINT NOT NULL,
  reasoning_tokens   BIGINT NOT NULL,
  cost_micros        BIGINT,
  currency           ${T} NOT NULL DEFAULT 'USD',
  cost_source        ${T} NOT NULL,
  use_case_name      ${T},
  use_case_id        ${T},
  use_case_version   BIGINT,
  use_case_step      ${T},
  user_id            ${T},
  account_name       ${T},
  price_as_resource  ${T},
  price_as_category  ${T},
  resource_scope     ${T},
  annotations        ${T} NOT NULL,
  limits_exceeded    ${T} NOT NULL,
  limit_count        BIGINT NOT NULL,
  tag_count          BIGINT NOT NULL
);

CREATE TABLE event_labels (
  kind          ${T} NOT NULL CHECK (kind IN ('limit', 'tag')),
  value         ${T} NOT NULL,
  event_id      ${T} NOT NULL,
  ts_ms         BIGINT NOT NULL,
  use_case_name ${T},
  status        ${T} NOT NULL,
  input_tokens  BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cost_micros   BIGINT,
  PRIMARY KEY (kind, value, event_id)
);

-- The filters every report and the dashboard apply: time, use case, user, account, instance. Narrow keys:
-- each index costs every insert, and Postgres aggregates in parallel from the heap once a range is large.
CREATE INDEX events_by_time ON events (ts_ms);
CREATE INDEX events_by_use_case ON events (use_case_name, ts_ms);
CREATE INDEX events_by_user ON events (user_id, ts_ms);
CREATE INDEX events_by_account ON events (account_name, ts_ms);
CREATE INDEX events_by_instance ON events (use_case_id);
CREATE INDEX event_labels_by_time ON event_labels (kind, value, ts_ms);
`;

// Spending limits on Postgres are src/limits/postgres's: its own tables (costtrail_limits, …), SQL functions and
// advisory lock, created by the limit gate (docs/limits.md). The version is kept so both ledgers count alike.
const V2_LIMITS = "SELECT 1";

const V3_RECONCILIATIONS = `
CREATE TABLE reconciliations (
  id             ${T} PRIMARY KEY,
  run_ms         BIGINT NOT NULL,
  provider       ${T} NOT NULL,
  since_ms       BIGINT NOT NULL,
  until_ms       BIGINT NOT NULL,
  group_by       ${T} NOT NULL,
  tolerance_ppm  BIGINT NOT NULL,
  provider_nanos BIGINT NOT NULL,
  ledger_nanos   BIGINT NOT NULL,
  rows_outside   BIGINT NOT NULL,
  result         ${T} NOT NULL
);

CREATE TABLE reconciliation_days (
  run_id         ${T} NOT NULL REFERENCES reconciliations(id) ON DELETE CASCADE,
  provider       ${T} NOT NULL,
  day            ${T} NOT NULL,
  provider_nanos BIGINT NOT NULL,
  ledger_nanos   BIGINT NOT NULL,
  PRIMARY KEY (run_id, day)
);
CREATE INDEX reconciliation_days_by_day ON reconciliation_days (provider, day);

CREATE TABLE reconciliation_allocations (
  run_id          ${T} NOT NULL REFERENCES reconciliations(id) ON DELETE CASCADE,
  provider        ${T} NOT NULL,
  day             ${T} NOT NULL,
  use_case_name   ${T},
  account_name    ${T},
  basis_nanos     BIGINT NOT NULL,
  allocated_nanos BIGINT NOT NULL
);
CREATE INDEX reconciliation_allocations_by_day ON reconciliation_allocations (provider, day);
`;

const V4_KPIS = `
CREATE TABLE kpis (
  id               ${T} PRIMARY KEY,
  ts               ${T} NOT NULL,
  ts_ms            BIGINT NOT NULL,
  name             ${T} NOT NULL,
  value_nanos      BIGINT NOT NULL,
  unit             ${T},
  kind             ${T} NOT NULL,
  use_case_name    ${T} NOT NULL,
  use_case_id      ${T} NOT NULL,
  use_case_version BIGINT,
  user_id          ${T},
  account_name     ${T}
);
CREATE INDEX kpis_by_instance ON kpis (use_case_name, use_case_id, name);

CREATE TABLE kpi_definitions (
  use_case_name ${T} NOT NULL,
  name          ${T} NOT NULL,
  kind          ${T} NOT NULL CHECK (kind IN ('count', 'boolean', 'usd', 'number')),
  goal_op       ${T},
  goal_value    DOUBLE PRECISION,
  roi           BIGINT NOT NULL DEFAULT 0,
  description   ${T},
  updated_ms    BIGINT NOT NULL,
  PRIMARY KEY (use_case_name, name)
);
`;

const V5_EXACT_MONEY = `
ALTER TABLE events ADD COLUMN cost_nanos BIGINT;
ALTER TABLE events ADD COLUMN cost_breakdown ${T};
ALTER TABLE events ADD COLUMN price_source ${T};
ALTER TABLE events ADD COLUMN usage_detail ${T};
`;

// Reports sum exact nano-USD (docs/pricing.md "Exact money"): event_labels gets its copy of cost_nanos.
// (SQLite's version 6 also moves its covering indices to cost_nanos; these indices carry no measures.)
const V6_NANO_REPORTS = `
ALTER TABLE event_labels ADD COLUMN cost_nanos BIGINT;
UPDATE event_labels SET cost_nanos = (SELECT e.cost_nanos FROM events e WHERE e.id = event_labels.event_id);
`;

// The annotations each batch was created under (docs/providers.md "Batch APIs"): the SQLite ledger's table.
const V7_BATCH_SCOPES = `
CREATE TABLE batch_scopes (
  provider    ${T} NOT NULL,
  batch_id    ${T} NOT NULL,
  annotations ${T} NOT NULL,
  created_ms  BIGINT NOT NULL,
  PRIMARY KEY (provider, batch_id)
);
`;

// Estimated costs, currency and re-pricing: SQLite's version 8 (its comment says why); no index change here.
const V8_ESTIMATES_FX_REPRICE = `
ALTER TABLE events ADD COLUMN estimated_nanos BIGINT;
ALTER TABLE event_labels ADD COLUMN cost_source ${T};
ALTER TABLE event_labels ADD COLUMN estimated_nanos BIGINT;
UPDATE event_labels SET cost_source = (SELECT e.cost_source FROM events e WHERE e.id = event_labels.event_id);
CREATE TABLE fx_rates (
  currency       ${T} NOT NULL,
  effective_date ${T} NOT NULL,
  rate_ppb       BIGINT NOT NULL CHECK (rate_ppb > 0),
  set_ms         BIGINT NOT NULL,
  PRIMARY KEY (currency, effective_date)
);
CREATE TABLE reprice_runs (
  id         ${T} PRIMARY KEY,
  run_ms     BIGINT NOT NULL,
  since_ms   BIGINT,
  until_ms   BIGINT,
  events     BIGINT NOT NULL,
  old_nanos  BIGINT NOT NULL,
  new_nanos  BIGINT NOT NULL
);
CREATE TABLE reprice_changes (
  run_id           ${T} NOT NULL REFERENCES reprice_runs(id) ON DELETE CASCADE,
  event_id         ${T} NOT NULL,
  old_cost_nanos   BIGINT,
  old_cost_micros  BIGINT,
  old_cost_source  ${T} NOT NULL,
  old_price_source ${T},
  new_cost_nanos   BIGINT,
  new_cost_source  ${T} NOT NULL,
  new_price_source ${T},
  PRIMARY KEY (run_id, event_id)
);
CREATE INDEX reprice_changes_by_event ON reprice_changes (event_id);
`;
// v9 is SQLite's rollups (src/ledger/rollups.ts). Postgres keeps none: its reports aggregate the events in the
// database, and keeping rollups in the inserting transactions (statement triggers) cut ingest from 4 processes
// to a third (docs/ledger.md "Rollups"). The version is taken so both ledgers keep one numbering.
const V9_NO_ROLLUPS = "SELECT 1";

/** The ordered list, version for version the SQLite ledger's MIGRATIONS. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  { version: 1, description: "events, event_labels and the report indices", sql: V1_EVENTS },
  {
    version: 2,
    description: "spending limits: kept by src/limits/postgres in its own tables",
    sql: V2_LIMITS,
  },
  {
    version: 3,
    description: "reconciliation runs, their per-day coverage and allocated spend",
    sql: V3_RECONCILIATIONS,
  },
  {
    version: 4,
    description: "KPIs recorded against use-case instances, and KPI definitions",
    sql: V4_KPIS,
  },
  {
    version: 5,
    description: "exact money: cost_nanos, cost_breakdown, price_source, usage_detail",
    sql: V5_EXACT_MONEY,
  },
  {
    version: 6,
    description: "reports in exact nano-USD: event_labels.cost_nanos",
    sql: V6_NANO_REPORTS,
  },
  {
    version: 7,
    description: "batch_scopes: the annotations each batch was created under",
    sql: V7_BATCH_SCOPES,
  },
  {
    version: 8,
    description: "estimated costs (estimated_nanos, label cost_source), FX rates, re-pricing runs",
    sql: V8_ESTIMATES_FX_REPRICE,
  },
  {
    version: 9,
    description: "none on Postgres (SQLite's v9 adds rollups; reports here aggregate events)",
    sql: V9_NO_ROLLUPS,
  },
  {
    version: 10,
    description: "none on Postgres (SQLite's v10 keeps rollup hour rows only for totals)",
    sql: V9_NO_ROLLUPS,
  },
  {
    version: 11,
    description: "none on Postgres (SQLite's v11 clusters event_labels by time for its single writer)",
    sql: V9_NO_ROLLUPS,
  },
];

export const PG_SCHEMA_VERSION: number = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

/** One row per applied migration: which version, what it did, when. */
export const VERSION_TABLE = "costtrail_schema";

// Any fixed 64-bit key: every costtrail process migrating this database takes the same one.
const MIGRATION_LOCK_KEY = "7380514210436170513";

type Queryable = Pick<pg.PoolClient, "query">;

/** The applied version; 0 for a database costtrail has never migrated. */
export async function pgSchemaVersion(client: Queryable): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [VERSION_TABLE]);
  if (exists.rows[0]?.t == null) return 0;
  const r = await client.query<{ v: number | null }>(`SELECT max(version)::int AS v FROM ${VERSION_TABLE}`);
  return r.rows[0]?.v ?? 0;
}

/**
 * Brings the database to the newest version. Many processes may start at once against an empty database:
 * each takes a session advisory lock first and re-reads the version under it, so exactly one applies each
 * migration (each in its own transaction) and the others find the work done. A database migrated by a newer
 * costtrail is left as is. Returns the versions applied by this call.
 */
export async function migratePostgres(
  client: pg.PoolClient | pg.Client,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<{ from: number; to: number; applied: number[] }> {
  const target = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  // Fast path, no lock: the common case on every start.
  const seen = await pgSchemaVersion(client);
  if (seen >= target) return { from: seen, to: seen, applied: [] };
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (
         version     INTEGER PRIMARY KEY,
         description TEXT NOT NULL,
         applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const from = await pgSchemaVersion(client);
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= from) continue;
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO ${VERSION_TABLE} (version, description) VALUES ($1, $2)`, [
          m.version,
          m.description,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
      applied.push(m.version);
    }
    return { from, to: Math.max(from, target), applied };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
  }
}

/** What `migratePostgresSync` needs: one statement at a time, answered synchronously (sync-connection.ts). */
export interface SyncQueryable {
  query(sql: string, params?: readonly (string | number)[]): { rows: unknown[][] };
}

function syncVersion(db: SyncQueryable): number {
  const [exists] = db.query("SELECT to_regclass($1) IS NOT NULL", [VERSION_TABLE]).rows;
  if (!exists?.[0]) return 0;
  const [row] = db.query(`SELECT coalesce(max(version), 0)::int FROM ${VERSION_TABLE}`).rows;
  return Number(row?.[0] ?? 0);
}

/** The applied version, through a synchronous connection (the CLI's). */
export function pgSchemaVersionSync(db: SyncQueryable): number {
  return syncVersion(db);
}

/** `migratePostgres` for the CLI's synchronous connection: the same lock, order and version table. */
export function migratePostgresSync(
  db: SyncQueryable,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): { from: number; to: number; applied: number[] } {
  const target = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  const seen = syncVersion(db);
  if (seen >= target) return { from: seen, to: seen, applied: [] };
  db.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  try {
    db.query(
      `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (
         version     INTEGER PRIMARY KEY,
         description TEXT NOT NULL,
         applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const from = syncVersion(db);
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= from) continue;
      db.query("BEGIN");
      try {
        db.query(m.sql);
        db.query(`INSERT INTO ${VERSION_TABLE} (version, description) VALUES ($1, $2)`, [
          m.version,
          m.description,
        ]);
        db.query("COMMIT");
      } catch (error) {
        try {
          db.query("ROLLBACK");
        } catch {
          // Connection gone: the server rolled back.
        }
        throw error;
      }
      applied.push(m.version);
    }
    return { from, to: Math.max(from, target), applied };
  } finally {
    try {
      db.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    } catch {
      // The session ends with the command, and its lock with it.
    }
  }
}
