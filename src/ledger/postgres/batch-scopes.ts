// The `batch_scopes` table of a Postgres ledger (the SQLite ledger's, src/ledger/batch-scopes.ts): written when a
// batch's create call answers, off the call's path; read before a results request is sent (the adapter waits
// for the answer there, briefly; docs/providers.md "Batch APIs").
import { log } from "../../log.js";
import type { Annotations, BatchScopeStore } from "../../types.js";
import { storedAnnotations } from "../batch-scopes.js";
import type { PostgresLedgerSink } from "./sink.js";

const INSERT =
  "INSERT INTO batch_scopes (provider, batch_id, annotations, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
const SELECT = "SELECT annotations FROM batch_scopes WHERE provider = $1 AND batch_id = $2";

export class PostgresBatchScopes implements BatchScopeStore {
  constructor(private readonly sink: PostgresLedgerSink) {}

  remember(provider: string, batchId: string, annotations: Annotations): void {
    this.sink
      .query(INSERT, [provider, batchId, JSON.stringify(annotations), Date.now()])
      .catch((error: unknown) => log.internalFailure("batch-scopes", error));
  }

  async lookup(provider: string, batchId: string): Promise<Annotations | undefined> {
    try {
      const [row] = await this.sink.query<{ annotations: string }>(SELECT, [provider, batchId]);
      return row ? storedAnnotations(row.annotations) : undefined;
    } catch (error) {
      log.internalFailure("batch-scopes", error);
      return undefined;
    }
  }
}
