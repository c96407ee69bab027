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

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const latencies: number[] = [];
let calls = 1;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (!released) {
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
      calls++;
    }
  }),
);
delay.disable();
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

latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
const f1 = (n: number) => n.toFixed(1);
console.log(
  `\nLedger locked by another process for ${LOCK_MS} ms, ${CONCURRENCY} concurrent callers, Node ${process.version}\n`,
);
console.log("| measure | value |\n|---|---|");
console.log(`| event loop delay, max (monitorEventLoopDelay) | ${f1(delay.max / 1e6)} ms |`);
console.log(`| event loop delay, p99 | ${f1(delay.percentile(99) / 1e6)} ms |`);
console.log(`| calls during the lock | ${calls - 1} |`);
console.log(
  `| call latency p50 / p99 / max | ${f1(at(0.5))} / ${f1(at(0.99))} / ${f1(latencies.at(-1) ?? 0)} ms |`,
);
console.log(`| events recorded after the lock (distinct) | ${stored.n} (${stored.d}) of ${calls} |`);
if (stored.n !== calls || stored.d !== calls) {
  console.error("FAIL: events lost or duplicated");
  process.exitCode = 1;
}
