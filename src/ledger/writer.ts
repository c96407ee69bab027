import type { Database, Statement } from "better-sqlite3";
import { COLUMN_INDEX as C, EVENT_COLUMNS, type PendingEvent } from "./event-row.js";
import { createRollupUpsert, RollupBatch } from "./rollups.js";

/** Writes a batch in one transaction; returns how many events were new (duplicates by id are ignored). */
export type EventWriter = (batch: readonly PendingEvent[]) => number;
/**
 * Writes the events of several parts in one transaction (one rollup sum over all of them), taking each part only
 * once the one before is written: the writer thread decodes a 128-event batch at a time, so a transaction's
 * decoded events die young instead of living through the scavenges of the whole transaction (docs/benchmarks.md
 * "SQLite ingest (issue 19, session 7)"). Returns how many events were new.
 */
export type EventPartsWriter = (parts: Iterable<readonly PendingEvent[]>) => number;

/** One label row: its kind and value, and the event's filter and measure columns (schema.ts), as call arguments. */
function insertLabel(stmt: Statement, kind: string, value: string, e: PendingEvent): void {
  const v = e.values;
  stmt.run(
    kind,
    value,
    e.id,
    v[C.ts_ms],
    v[C.use_case_name],
    v[C.status],
    v[C.input_tokens],
    v[C.output_tokens],
    v[C.cost_micros],
    v[C.cost_nanos],
    v[C.cost_source],
    v[C.estimated_nanos],
  );
}

export function createEventWriter(db: Database): EventWriter {
  const write = createEventPartsWriter(db);
  return (batch) => write([batch]);
}

export function createEventPartsWriter(db: Database): EventPartsWriter {
  const insertEvent = db.prepare(
    `INSERT OR IGNORE INTO events (${EVENT_COLUMNS.join(", ")}) VALUES (${EVENT_COLUMNS.map(() => "?").join(", ")})`,
  );
  const labelStatement = db.prepare(
    `INSERT OR IGNORE INTO event_labels
       (kind, value, event_id, ts_ms, use_case_name, status, input_tokens, output_tokens, cost_micros,
        cost_nanos, cost_source, estimated_nanos)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const upsertRollups = createRollupUpsert(db);
  const writeParts = db.transaction((parts: Iterable<readonly PendingEvent[]>) => {
    let inserted = 0;
    // Rollups count new rows only, in this same transaction (rollups.ts): they can never disagree with events.
    const rollups = new RollupBatch();
    for (const batch of parts)
      for (const e of batch) {
        // Labels only with a new row: a re-sent event already has its labels, written in the same transaction.
        // Spread, not an array: better-sqlite3 reads call arguments far cheaper than array elements (~30 ns a value).
        if (insertEvent.run(...e.values).changes === 0) continue;
        inserted++;
        rollups.add(e);
        if (e.limitIds.length === 0 && e.tags.length === 0) continue;
        for (const value of e.limitIds) insertLabel(labelStatement, "limit", value, e);
        for (const value of e.tags) insertLabel(labelStatement, "tag", value, e);
      }
    upsertRollups(rollups);
    return inserted;
  });
  // IMMEDIATE takes the write lock up front, so a concurrent writer waits on busy_timeout instead of
  // failing with SQLITE_BUSY on a read-to-write lock upgrade.
  return (parts) => writeParts.immediate(parts);
}
