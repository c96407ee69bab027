/**
 * A/B of the SQLite event writer (src/ledger/writer.ts) of several source trees in one process (not part of
 * `npm run bench`): rounds in which each tree's `createEventWriter` writes the same events into a fresh file, in
 * transactions of `--tx` events, timed in CPU (this thread only does the writing: it is the writer thread's work
 * without the thread). Prints each tree's CPU µs per event (median and min over rounds) and its median ratio to the
 * first tree's in the same rounds, so a change's before/after comes from one process on one machine state.
 *
 *   npx tsx bench/writer-ab.ts [--events 50000] [--tx 5000] [--rounds 7] [--decode] <tree>...
 *
 * `--decode` times the writer thread's whole work per transaction: decoding the batches as the app's thread
 * encoded them (128 events each, the tree's own `encodeBatch` / `decodeBatch`) and writing them, as that tree's
 * ledger-worker.ts does: one batch at a time through `createEventPartsWriter` where the tree has it, else all of
 * a transaction's batches first.
 *
 * A tree is a directory with this repo's `src/` (e.g. `git archive <commit> | tar -x -C /tmp/old` and a
 * node_modules symlink). Events: bench/synthetic-ledger.ts `makeEvent`, 1 ms apart (the goals' ingest section).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { makeEvent } from "./synthetic-ledger.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv.splice(at, 2)[1]) : fallback;
};
const EVENTS = option("--events", 50_000);
const TX = option("--tx", 5_000);
const ROUNDS = option("--rounds", 7);
const DECODE = argv.includes("--decode");
/** Events per batch the app's thread hands over (ledger-sink.ts). */
const BATCH = 128;
const roots = argv.filter((a) => !a.startsWith("--")).map((r) => resolve(r));
if (roots.length === 0) throw new Error("usage: writer-ab.ts [--events N] [--tx N] [--rounds N] <tree>...");

interface Tree {
  root: string;
  openDatabase: (path: string) => import("better-sqlite3").Database;
  createEventWriter: (db: import("better-sqlite3").Database) => (batch: readonly unknown[]) => number;
  createEventPartsWriter?: (
    db: import("better-sqlite3").Database,
  ) => (parts: Iterable<readonly unknown[]>) => number;
  pending: unknown[];
  /** With --decode: each transaction's batches, encoded. */
  encoded: Uint8Array[][];
  decodeBatch: (bytes: Uint8Array) => { events: unknown[] };
}
const start = Date.now() - 86_400_000;
const events = Array.from({ length: EVENTS }, (_, i) => makeEvent(start + i));
const trees: Tree[] = [];
for (const root of roots) {
  const url = (p: string) => pathToFileURL(join(root, p)).href;
  const row = await import(url("src/ledger/event-row.ts"));
  const records = await import(url("src/ledger/spooled-record.ts"));
  const pending = events.map((e) => row.toPendingEvent(e));
  const encoded: Uint8Array[][] = [];
  if (DECODE)
    for (let i = 0; i < EVENTS; i += TX) {
      const tx: Uint8Array[] = [];
      for (let j = i; j < Math.min(i + TX, EVENTS); j += BATCH)
        tx.push(records.encodeBatch(pending.slice(j, Math.min(j + BATCH, i + TX)), []).slice());
      encoded.push(tx);
    }
  const writer = await import(url("src/ledger/writer.ts"));
  trees.push({
    root,
    openDatabase: (await import(url("src/ledger/open-database.ts"))).openDatabase,
    createEventWriter: writer.createEventWriter,
    createEventPartsWriter: writer.createEventPartsWriter,
    pending,
    encoded,
    decodeBatch: records.decodeBatch,
  });
}

/** A transaction's batches, each decoded only when the writer takes it. */
function* decodedInTurn(tree: Tree, tx: readonly Uint8Array[]): Generator<unknown[]> {
  for (const bytes of tx) yield tree.decodeBatch(bytes).events;
}

const dir = mkdtempSync(join(tmpdir(), "costtrail-writer-ab-"));
let files = 0;
function cpuPerEvent(tree: Tree): number {
  const db = tree.openDatabase(join(dir, `${files++}.db`));
  try {
    const write = tree.createEventWriter(db);
    const writeParts = tree.createEventPartsWriter?.(db);
    const c0 = process.cpuUsage();
    let written = 0;
    if (DECODE && writeParts) for (const tx of tree.encoded) written += writeParts(decodedInTurn(tree, tx));
    else if (DECODE)
      for (const tx of tree.encoded) {
        const batch: unknown[] = [];
        for (const bytes of tx) for (const e of tree.decodeBatch(bytes).events) batch.push(e);
        written += write(batch);
      }
    else for (let i = 0; i < EVENTS; i += TX) written += write(tree.pending.slice(i, i + TX));
    const c = process.cpuUsage(c0);
    if (written !== EVENTS) throw new Error(`${tree.root}: wrote ${written} of ${EVENTS}`);
    return (c.user + c.system) / EVENTS;
  } finally {
    db.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  for (const t of trees) cpuPerEvent(t); // warm-up: JIT, page cache
  const us = trees.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) for (const [i, t] of trees.entries()) us[i]!.push(cpuPerEvent(t));
  console.log(
    `\nwriter A/B: ${EVENTS} events, ${TX} per transaction${DECODE ? `, decoded from ${BATCH}-event batches` : ""}, ${ROUNDS} rounds, Node ${process.version}\n`,
  );
  console.log(
    "| tree | CPU µs/event (median) | min | ratio to the first (median of rounds) | events/s per CPU-second |",
  );
  console.log("|---|---:|---:|---:|---:|");
  trees.forEach((t, i) => {
    const ratio = median(us[i]!.map((x, r) => x / us[0]![r]!));
    console.log(
      `| ${t.root} | ${median(us[i]!).toFixed(2)} | ${Math.min(...us[i]!).toFixed(2)} | ${ratio.toFixed(3)} | ${Math.round(1e6 / median(us[i]!)).toLocaleString("en-US")} |`,
    );
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
