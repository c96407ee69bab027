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
 * A tree: bench/writer-trees.ts. Events: bench/synthetic-ledger.ts `makeEvent`, 1 ms apart (the goals' ingest
 * section). On a shared VM whose CPU time wanders, bench/writer-instructions.ts counts instructions instead.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { takeNumberOption } from "./number-option.js";
import { makeEvent } from "./synthetic-ledger.js";
import { BATCH, loadWriterTree, type WriterRun, type WriterTree, writeAll } from "./writer-trees.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => takeNumberOption(argv, name, fallback);
const EVENTS = option("--events", 50_000);
const TX = option("--tx", 5_000);
const ROUNDS = option("--rounds", 7);
const DECODE = argv.includes("--decode");
const roots = argv.filter((a) => !a.startsWith("--")).map((r) => resolve(r));
if (roots.length === 0) throw new Error("usage: writer-ab.ts [--events N] [--tx N] [--rounds N] <tree>...");

const run: WriterRun = { tx: TX, decode: DECODE };
const start = Date.now() - 86_400_000;
const events = Array.from({ length: EVENTS }, (_, i) => makeEvent(start + i));
const trees: WriterTree[] = [];
for (const root of roots) trees.push(await loadWriterTree(root, events, run));

const dir = mkdtempSync(join(tmpdir(), "costtrail-writer-ab-"));
let files = 0;
function cpuPerEvent(tree: WriterTree): number {
  const db = tree.openDatabase(join(dir, `${files++}.db`));
  try {
    const c0 = process.cpuUsage();
    const written = writeAll(tree, db, run);
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
