import type { Database } from "better-sqlite3";
import { openLedgerReader } from "../ledger/reader.js";

/**
 * Runs `fn` on a connection for queries: a SQLite file read-only, or a Postgres ledger (`--db postgres://…`).
 * A missing or foreign ledger, or a server that cannot be reached, throws LedgerNotFoundError (exit 2).
 */
export function withLedger<T>(path: string, fn: (db: Database) => T): T {
  const db = openLedgerReader(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
