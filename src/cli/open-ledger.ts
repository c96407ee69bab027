import type { Database } from "better-sqlite3";
import { LedgerNotFoundError } from "../ledger/errors.js";
import { openLedgerReadonly } from "../ledger/open-database.js";
import { CliError } from "./context.js";

/** Runs `fn` on a read-only connection; a missing or foreign file is a usage error (exit 2). */
export function withLedger<T>(path: string, fn: (db: Database) => T): T {
  let db: Database;
  try {
    db = openLedgerReadonly(path);
  } catch (error) {
    if (error instanceof LedgerNotFoundError) throw new CliError(`${error.message} (use --db <path>)`);
    throw error;
  }
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
