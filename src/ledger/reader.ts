import type { Database } from "better-sqlite3";
import { ensureLimitSchemaSync } from "../limits/postgres/schema.js";
import { LedgerNotFoundError } from "./errors.js";
import { ledgerLocation } from "./location.js";
import { openDatabase, openLedgerReadonly } from "./open-database.js";
import { migratePostgresSync, PG_SCHEMA_VERSION, pgSchemaVersionSync } from "./postgres/schema.js";
import { PgSyncConnection } from "./postgres/sync-connection.js";
import { migrate } from "./schema.js";

/**
 * A connection to either ledger for the CLI and the dashboard: a better-sqlite3 `Database` for a file, or a
 * `PgSyncConnection` (the same query surface) for a `postgres://` URL. Every report, dashboard, KPI,
 * reconcile and export query takes one and runs the same portable SQL on both (docs/fleet.md).
 */
export type LedgerConnection = Database;

/** Whether `db` is a Postgres ledger: the few statements that differ by dialect ask this (tables.ts). */
export function isPostgresConnection(db: unknown): boolean {
  return db instanceof PgSyncConnection;
}

function connectPostgres(url: string): PgSyncConnection {
  const db = new PgSyncConnection(url);
  try {
    // The first statement is where a bad host, password or database shows.
    pgSchemaVersionSync(db);
    return db;
  } catch (error) {
    db.close();
    throw new LedgerNotFoundError(url, `cannot reach ledger ${db.label}: ${(error as Error).message}`);
  }
}

/**
 * Opens a ledger for queries: a SQLite file read-only (it must exist), or a Postgres ledger, which must have
 * been migrated once (by an app or `costtrail migrate`); an older schema is brought up to date first, as the
 * SQLite file is. Throws LedgerNotFoundError with a clear, masked message.
 */
export function openLedgerReader(value: string): LedgerConnection {
  const location = ledgerLocation(value);
  if (location.kind === "sqlite") return openLedgerReadonly(location.path);
  const db = connectPostgres(location.url);
  try {
    const version = pgSchemaVersionSync(db);
    if (version === 0) {
      throw new LedgerNotFoundError(
        location.url,
        `${db.label} holds no costtrail ledger yet (an instrumented app creates it, or: costtrail migrate --db <url>)`,
      );
    }
    if (version < PG_SCHEMA_VERSION) migratePostgresSync(db);
    return db as unknown as LedgerConnection;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Opens a ledger for writing (limits, reconciliation runs), creating and migrating it as needed. */
export function openLedgerWriter(value: string): LedgerConnection {
  const location = ledgerLocation(value);
  if (location.kind === "sqlite") return openDatabase(location.path);
  const db = connectPostgres(location.url);
  try {
    migratePostgresSync(db);
    return db as unknown as LedgerConnection;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Whether the ledger has table `name` (a file written before a migration, opened read-only, may not). */
export function hasTable(db: LedgerConnection, name: string): boolean {
  if (isPostgresConnection(db)) {
    return db.prepare("SELECT to_regclass(?) IS NOT NULL").pluck().get(name) === 1;
  }
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** What `costtrail migrate` did: the schema version before and after, and the migrations it applied. */
export interface MigrateOutcome {
  from: number;
  to: number;
  applied: number[];
}

/**
 * Creates or updates a ledger's schema, for teams that run migrations themselves before deploying
 * (`costtrail migrate --db URL`). Safe to run while apps write: the same locks as their own migrations.
 */
export function migrateLedger(value: string): MigrateOutcome {
  const location = ledgerLocation(value);
  if (location.kind === "postgres") {
    const db = connectPostgres(location.url);
    try {
      const outcome = migratePostgresSync(db);
      // The fleet limit gate's tables too, so apps that run without DDL rights find everything in place.
      ensureLimitSchemaSync(db);
      return outcome;
    } finally {
      db.close();
    }
  }
  const db = openDatabase(location.path, { migrate: false });
  try {
    const { from, to } = migrate(db);
    return { from, to, applied: Array.from({ length: Math.max(0, to - from) }, (_, i) => from + 1 + i) };
  } finally {
    db.close();
  }
}
