/**
 * A/B of the SQLite event writer of several source trees (bench/writer-trees.ts) in instructions, not time (not
 * part of `npm run bench`): on a shared VM the same CPU-bound loop reads 1.7× slower from one minute to the next,
 * which buries a 5 % change in bench/writer-ab.ts's rounds, while the instructions a run executes repeat to ~1 %
 * on an otherwise idle machine (GC and V8's background tasks follow the clock: with other work beside it, ~10 %). Each tree runs twice under Valgrind's callgrind (`node --single-threaded`, so V8 compiles on the main
 * thread and tiers up by call counts alone): both make and encode `--events` events and write them once into a
 * file of their own (the warm-up: V8 compiles the code), then one writes them again into a fresh file as
 * writer-ab.ts `--decode` writes them; the difference of the two runs over the events is the
 * writer thread's instructions per event (decoding, rollups, SQLite), everything else cancelled out. Each run is
 * one esbuild bundle run by plain node; two go at a time (one per core). Needs `valgrind` on the PATH; ~1 minute
 * per tree at 12,000 events.
 *
 *   npx tsx bench/writer-instructions.ts [--events 12000] [--tx 5000] <tree>...
 *
 * Instructions are not time (a cache miss costs more than an add), so this tells which tree does less work, and
 * by how much; writer-ab.ts on a quiet machine tells what that buys.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { takeNumberOption } from "./number-option.js";
import { BATCH } from "./writer-trees.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => takeNumberOption(argv, name, fallback);
const EVENTS = option("--events", 12_000);
const TX = option("--tx", 5_000);
const roots = argv.filter((a) => !a.startsWith("--")).map((r) => resolve(r));
if (roots.length === 0) throw new Error("usage: writer-instructions.ts [--events N] [--tx N] <tree>...");

const bench = dirname(fileURLToPath(import.meta.url));
// Under the repo's node_modules, so the bundle's `better-sqlite3` resolves as the repo's.
const out = join(bench, "..", "node_modules", ".cache", "costtrail-writer-instructions");
mkdirSync(out, { recursive: true });

/**
 * One counted run per tree and mode as a single ES module (tsx's loader thread would make the count depend on
 * how the two threads were scheduled): the tree's modules, the events, and the work, `write` or `setup`.
 */
async function bundle(root: string, i: number): Promise<string> {
  const file = join(out, `tree-${i}.mjs`);
  const src = (p: string) => JSON.stringify(join(root, "src/ledger", p));
  const lib = (p: string) => JSON.stringify(join(bench, p));
  const contents = `
import { rmSync } from "node:fs";
import * as row from ${src("event-row.ts")};
import * as records from ${src("spooled-record.ts")};
import * as writer from ${src("writer.ts")};
import * as database from ${src("open-database.ts")};
import { makeEvent } from ${lib("synthetic-ledger.ts")};
import { writerTree, writeAll } from ${lib("writer-trees.ts")};
const run = { tx: ${TX}, decode: true };
const start = Date.now() - 86_400_000;
const events = Array.from({ length: ${EVENTS} }, (_, i) => makeEvent(start + i));
const tree = writerTree(${JSON.stringify(root)}, { row, records, writer, database }, events, run);
const file = (name) => ${JSON.stringify(join(out, `tree-${i}`))} + "-" + process.pid + "-" + name + ".db";
const writeInto = (name) => {
  const db = tree.openDatabase(file(name));
  const written = writeAll(tree, db, run);
  db.close();
  for (const suffix of ["", "-wal", "-shm"]) rmSync(file(name) + suffix, { force: true });
  if (written !== ${EVENTS}) throw new Error("wrote " + written + " of ${EVENTS}");
};
// Both modes first write the events once into a file of their own, so V8 has compiled the writer's code when the
// counted write runs (one write alone is mostly interpreted code: its JS would count several times over).
writeInto("warm-up");
if (process.argv[2] === "write") writeInto("counted");
`;
  await build({
    stdin: { contents, resolveDir: bench, loader: "ts", sourcefile: `tree-${i}.ts` },
    bundle: true,
    platform: "node",
    format: "esm",
    external: ["better-sqlite3"],
    outfile: file,
    logLevel: "warning",
  });
  return file;
}

/** The instructions callgrind counted in one run of a bundle. */
const counted = (file: string, mode: "write" | "setup") =>
  new Promise<number>((done, fail) => {
    const child = spawn(
      "valgrind",
      [
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        "--smc-check=all",
        process.execPath,
        "--single-threaded",
        file,
        mode,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", fail);
    child.on("close", (code) => {
      const m = /Collected : (\d+)/.exec(err);
      if (code !== 0 || !m) fail(new Error(`${file} ${mode}: exit ${code}\n${err.slice(-2_000)}`));
      else done(Number(m[1]));
    });
  });

const perEvent: number[] = [];
for (const [i, root] of roots.entries()) {
  const file = await bundle(root, i);
  const [write, setup] = await Promise.all([counted(file, "write"), counted(file, "setup")]);
  perEvent.push((write - setup) / EVENTS);
  console.error(`${root}: ${Math.round(perEvent.at(-1)!).toLocaleString("en-US")} instructions per event`);
}
console.log(
  `\nwriter instructions: ${EVENTS} events, ${TX} per transaction, decoded from ${BATCH}-event batches, Node ${process.version}\n`,
);
console.log("| tree | instructions per event | ratio to the first |");
console.log("|---|---:|---:|");
for (const [i, root] of roots.entries())
  console.log(
    `| ${root} | ${Math.round(perEvent[i]!).toLocaleString("en-US")} | ${(perEvent[i]! / perEvent[0]!).toFixed(3)} |`,
  );
