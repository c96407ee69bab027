import type { Database } from "better-sqlite3";
import { openLedgerReadonly } from "../ledger/open-database.js";

/** Runs `fn` on a read-only connection; a missing or foreign file throws LedgerNotFoundError (exit 2). */
export function withLedger<T>(path: string, fn: (db: Database) => T): T {
  const db = openLedgerReadonly(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
