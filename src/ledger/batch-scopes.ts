// The `batch_scopes` table of a SQLite ledger: the annotations each batch was created under, written when the
// create call answers and read when its results are (docs/providers.md "Batch APIs"). Through the ledger's
// connection on the app's thread: one row per batch created, one lookup per batch read, both rare.
import type { Database } from "better-sqlite3";
import { log } from "../log.js";
import type { Annotations, BatchScopeStore } from "../types.js";

/** A stored `annotations` column back to annotations (undefined unless it holds a JSON object). */
export function storedAnnotations(text: string): Annotations | undefined {
  const parsed: unknown = JSON.parse(text);
  return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Annotations) : undefined;
}

export class SqliteBatchScopes implements BatchScopeStore {
  /** `db`: the ledger's connection on this thread, looked up at each use (null while the file cannot be opened). */
  constructor(private readonly db: () => Database | null) {}

  remember(provider: string, batchId: string, annotations: Annotations): void {
    try {
      this.db()
        ?.prepare(
          "INSERT OR IGNORE INTO batch_scopes (provider, batch_id, annotations, created_ms) VALUES (?, ?, ?, ?)",
        )
        .run(provider, batchId, JSON.stringify(annotations), Date.now());
    } catch (error) {
      log.internalFailure("batch-scopes", error);
    }
  }

  lookup(provider: string, batchId: string): Annotations | undefined {
    try {
      const row = this.db()
        ?.prepare("SELECT annotations FROM batch_scopes WHERE provider = ? AND batch_id = ?")
        .get(provider, batchId) as { annotations: string } | undefined;
      return row ? storedAnnotations(row.annotations) : undefined;
    } catch (error) {
      log.internalFailure("batch-scopes", error);
      return undefined;
    }
  }
}
