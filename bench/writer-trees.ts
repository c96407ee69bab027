/**
 * Source trees of the SQLite event writer for the writer A/Bs (bench/writer-ab.ts, bench/writer-instructions.ts):
 * a tree is a directory with this repo's `src/` (e.g. `git archive <commit> src | tar -x -C /tmp/old` and a
 * node_modules symlink), loaded with its own event rows, batch codec and writer, so a change's before/after runs
 * the same events through each tree's code.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Database } from "better-sqlite3";
import type { UsageEvent } from "../src/types.js";

/** Events per batch the app's thread hands over (ledger-sink.ts). */
export const BATCH = 128;

export interface WriterTree {
  root: string;
  openDatabase: (path: string) => Database;
  createEventWriter: (db: Database) => (batch: readonly unknown[]) => number;
  createEventPartsWriter?: (db: Database) => (parts: Iterable<readonly unknown[]>) => number;
  pending: unknown[];
  /** With `decode`: each transaction's batches, encoded as the app's thread encodes them. */
  encoded: Uint8Array[][];
  decodeBatch: (bytes: Uint8Array) => { events: unknown[] };
}

export interface WriterRun {
  /** Events per transaction. */
  tx: number;
  /** Decode the batches in the timed work, as the writer thread does (else write ready rows). */
  decode: boolean;
}

/** The tree's modules a writer run uses. */
export interface WriterModules {
  row: { toPendingEvent: (e: UsageEvent) => unknown };
  records: {
    encodeBatch: (events: unknown[], other: unknown[]) => Uint8Array;
    decodeBatch: (bytes: Uint8Array) => { events: unknown[] };
  };
  writer: Pick<WriterTree, "createEventWriter" | "createEventPartsWriter">;
  database: Pick<WriterTree, "openDatabase">;
}

/** The tree at `root`, its modules imported from there. */
export async function loadWriterTree(
  root: string,
  events: readonly UsageEvent[],
  run: WriterRun,
): Promise<WriterTree> {
  const url = (p: string) => pathToFileURL(join(root, p)).href;
  const modules: WriterModules = {
    row: await import(url("src/ledger/event-row.ts")),
    records: await import(url("src/ledger/spooled-record.ts")),
    writer: await import(url("src/ledger/writer.ts")),
    database: await import(url("src/ledger/open-database.ts")),
  };
  return writerTree(root, modules, events, run);
}

/** A tree of `modules`, with `events` made into its rows (and, with `run.decode`, encoded into batches). */
export function writerTree(
  root: string,
  { row, records, writer, database }: WriterModules,
  events: readonly UsageEvent[],
  run: WriterRun,
): WriterTree {
  const pending = events.map((e) => row.toPendingEvent(e));
  const encoded: Uint8Array[][] = [];
  if (run.decode)
    for (let i = 0; i < pending.length; i += run.tx) {
      const end = Math.min(i + run.tx, pending.length);
      const tx: Uint8Array[] = [];
      for (let j = i; j < end; j += BATCH)
        tx.push(records.encodeBatch(pending.slice(j, Math.min(j + BATCH, end)), []).slice());
      encoded.push(tx);
    }
  return {
    root,
    openDatabase: database.openDatabase,
    createEventWriter: writer.createEventWriter,
    createEventPartsWriter: writer.createEventPartsWriter,
    pending,
    encoded,
    decodeBatch: records.decodeBatch,
  };
}

/** A transaction's batches, each decoded only when the writer takes it. */
function* decodedInTurn(tree: WriterTree, tx: readonly Uint8Array[]): Generator<unknown[]> {
  for (const bytes of tx) yield tree.decodeBatch(bytes).events;
}

/**
 * The work timed: every event written into `db`, in transactions of `run.tx`, as that tree's ledger-worker.ts
 * does with `run.decode` (one batch at a time through `createEventPartsWriter` where the tree has it, else all of
 * a transaction's batches first). Returns how many events were new.
 */
export function writeAll(tree: WriterTree, db: Database, run: WriterRun): number {
  const write = tree.createEventWriter(db);
  const writeParts = tree.createEventPartsWriter?.(db);
  let written = 0;
  if (run.decode && writeParts) for (const tx of tree.encoded) written += writeParts(decodedInTurn(tree, tx));
  else if (run.decode)
    for (const tx of tree.encoded) {
      const batch: unknown[] = [];
      for (const bytes of tx) for (const e of tree.decodeBatch(bytes).events) batch.push(e);
      written += write(batch);
    }
  else
    for (let i = 0; i < tree.pending.length; i += run.tx) written += write(tree.pending.slice(i, i + run.tx));
  return written;
}
