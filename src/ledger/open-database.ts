import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { LedgerNotFoundError } from "./errors.js";
import { migrate, SCHEMA_VERSION, schemaVersion } from "./schema.js";

export const DEFAULT_LEDGER_PATH = ".costtrail/ledger.db";
export const MEMORY_PATH = ":memory:";

/** Several processes may share one file: wait this long for the write lock instead of failing. */
const BUSY_TIMEOUT_MS = 5_000;
/** Negative: KiB (SQLite's convention). */
const WRITER_CACHE_KIB = -32_768;

export function isMemoryPath(path: string): boolean {
  return path === MEMORY_PATH;
}

function createDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "ERROR";
    // mkdir says EEXIST when a path component is a regular file; name the real problem.
    const why = code === "EEXIST" || code === "ENOTDIR" ? "a file is in the way" : (error as Error).message;
    throw Object.assign(new Error(`cannot create directory ${dir}: ${why}`), { code });
  }
}

/**
 * Opens (creating the directory and file if needed) a ledger for writing and migrates it to the current
 * schema. Throws on any failure; the sink turns that into buffering and retries.
 */
export function openDatabase(path: string, options: { migrate?: boolean } = {}): Database.Database {
  if (!isMemoryPath(path)) createDirectory(dirname(path));
  const db = new Database(path);
  try {
    retryWhileBusy(() => configure(db, path, options.migrate ?? true));
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function configure(db: Database.Database, path: string, migrateNow: boolean): void {
  // busy_timeout first: switching to WAL needs a lock another process may hold.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Only takes effect on a new, empty file. 8 KiB pages suit ~500-byte rows and wide covering indices:
  // fewer pages to split and write per batch.
  db.pragma("page_size = 8192");
  if (!isMemoryPath(path)) db.pragma("journal_mode = WAL");
  // With WAL, NORMAL is durable against process crashes (commits are in the WAL); only an OS crash or
  // power loss can drop the last transactions. That is the right trade for a cost ledger.
  db.pragma("synchronous = NORMAL");
  // better-sqlite3 turns foreign keys on; the ledger keeps its one (event_labels → events) by writing an event and
  // its labels in one transaction and never deleting events, so checking it only cost every label row a look-up
  // in the events id index (docs/benchmarks.md "Instruction counts of the writer (issue 19, session 8)").
  db.pragma("foreign_keys = OFF");
  // A larger cache keeps the indices' and rollups' pages resident between batches (SQLite allocates it lazily,
  // so a small ledger costs little).
  db.pragma(`cache_size = ${WRITER_CACHE_KIB}`);
  // Checkpoint every ~64 MB of WAL instead of every 8 MB: fewer fsyncs inside commits (measured +10-15%
  // ingest), and the size limit truncates the WAL back after a checkpoint so it does not stay large.
  db.pragma("wal_autocheckpoint = 8192");
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  if (migrateNow) migrate(db);
}

/**
 * A few lock situations around opening a WAL file (another process switching the journal mode or running
 * WAL recovery) report SQLITE_BUSY without consulting busy_timeout. They last milliseconds: wait them out.
 */
function retryWhileBusy(fn: () => void): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      fn();
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== "string" || !code.startsWith("SQLITE_BUSY") || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Opens an existing ledger for queries only (CLI, dashboard). Throws LedgerNotFoundError with a clear message. */
export function openLedgerReadonly(path: string): Database.Database {
  if (isMemoryPath(path)) {
    throw new LedgerNotFoundError(path, "an in-memory ledger cannot be opened from another connection");
  }
  if (!existsSync(path)) throw new LedgerNotFoundError(path, `no ledger at ${path}`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new LedgerNotFoundError(path, `cannot open ledger ${path}: ${(error as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const hasEvents = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'")
      .pluck()
      .get();
    if (schemaVersion(db) < 1 || !hasEvents) {
      throw new LedgerNotFoundError(path, `${path} is not a costtrail ledger`);
    }
    if (schemaVersion(db) < SCHEMA_VERSION) {
      // Written by an older costtrail: readers select today's columns, so bring the file up to date first.
      db.close();
      openDatabase(path).close();
      return openLedgerReadonly(path);
    }
    return db;
  } catch (error) {
    db.close();
    if (error instanceof LedgerNotFoundError) throw error;
    throw new LedgerNotFoundError(path, `cannot read ledger ${path}: ${(error as Error).message}`);
  }
}
