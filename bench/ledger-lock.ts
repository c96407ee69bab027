/**
 * Benchmark (not a test): the app's event loop while another process holds the ledger's write lock (issue 22
 * item 4). Steady traffic of real OpenAI SDK calls against the mock provider, under a block limit, on a file
 * ledger; a second process takes BEGIN IMMEDIATE and keeps it. Prints the worst event-loop delay
 * (monitorEventLoopDelay) and call latencies during the lock, then checks every event was recorded once.
 *
 *   npx tsx bench/ledger-lock.ts [--quick]      (--quick: a 2 s lock; default 8 s)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { instrument } from "../src/index.js";
import { startMockProvider } from "../src/testing.js";

const QUICK = process.argv.includes("--quick");
const LOCK_MS = QUICK ? 2_000 : 8_000;
const CONCURRENCY = 8;

const dir = mkdtempSync(join(tmpdir(), "costtrail-bench-lock-"));
const path = join(dir, "ledger.db");
const mock = await startMockProvider({ latencyMs: 5 });
const costtrail = instrument({
  ledger: path,
  defaults: { limitIds: ["cap"] },
  limits: [{ id: "cap", maxUsd: 1_000, window: "day", mode: "block" }],
  logger: { warn: () => {}, error: () => {} },
});
await costtrail.ready;
const client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0 });
const call = () =>
  client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "hi" }],
    max_tokens: 20,
  });
await call(); // the file and its tables exist before the other process locks it

interface Phase {
  maxMs: number;
  p99Ms: number;
  calls: number;
  latencies: number[];
}

/** Steady traffic until `done()`: CONCURRENCY callers, each making the next call when its last one returns. */
async function traffic(done: () => boolean): Promise<Phase> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (!done()) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  delay.disable();
  latencies.sort((a, b) => a - b);
  return { maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, calls: latencies.length, latencies };
}

// Baseline: the same traffic for the same time, nobody holding the lock (the machine's own noise).
const until = Date.now() + LOCK_MS;
const free = await traffic(() => Date.now() >= until);

const holder = spawn(
  process.execPath,
  [
    "-e",
    `const D=require("better-sqlite3");const d=new D(process.argv[1]);d.pragma("busy_timeout=10000");d.exec("BEGIN IMMEDIATE");console.log("locked");setTimeout(()=>{d.exec("COMMIT");console.log("released")},${LOCK_MS})`,
    path,
  ],
  { stdio: ["ignore", "pipe", "inherit"], cwd: process.cwd() },
);
const closed = new Promise((resolve) => holder.on("close", resolve));
let released = false;
await new Promise<void>((resolve) =>
  holder.stdout!.on("data", (d: Buffer) => {
    if (d.toString().includes("locked")) resolve();
    if (d.toString().includes("released")) released = true;
  }),
);
const locked = await traffic(() => released);
await closed;
await costtrail.shutdown();
await mock.close();

const db = new Database(path, { readonly: true });
const stored = db.prepare("SELECT count(*) AS n, count(DISTINCT id) AS d FROM events").get() as {
  n: number;
  d: number;
};
db.close();
rmSync(dir, { recursive: true, force: true });

const calls = 1 + free.calls + locked.calls;
const at = (p: Phase, q: number) =>
  p.latencies[Math.min(p.latencies.length - 1, Math.floor(q * p.latencies.length))] ?? 0;
const f1 = (n: number) => n.toFixed(1);
console.log(
  `\nLedger locked by another process for ${LOCK_MS} ms, ${CONCURRENCY} concurrent callers, Node ${process.version}\n`,
);
console.log("| measure | no lock (baseline) | locked |\n|---|---|---|");
console.log(
  `| event loop delay, max (monitorEventLoopDelay) | ${f1(free.maxMs)} ms | ${f1(locked.maxMs)} ms |`,
);
console.log(`| event loop delay, p99 | ${f1(free.p99Ms)} ms | ${f1(locked.p99Ms)} ms |`);
console.log(`| calls | ${free.calls} | ${locked.calls} |`);
const lat = (p: Phase) => `${f1(at(p, 0.5))} / ${f1(at(p, 0.99))} / ${f1(p.latencies.at(-1) ?? 0)} ms`;
console.log(`| call latency p50 / p99 / max | ${lat(free)} | ${lat(locked)} |`);
console.log(`\nEvents recorded after the lock: ${stored.n} (${stored.d} distinct) of ${calls} calls`);
if (stored.n !== calls || stored.d !== calls) {
  console.error("FAIL: events lost or duplicated");
  process.exitCode = 1;
}
