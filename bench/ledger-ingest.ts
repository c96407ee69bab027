/**
 * Ledger benchmark (not a test): ingest throughput through LedgerSink into a file ledger, and report latency
 * over the resulting ledger (1M events by default).
 *
 *   npx tsx bench/ledger-ingest.ts [events=1000000] [--quick]
 *
 * `--quick`: 50,000 events. Ingest runs through the writer thread (docs/ledger.md): the rate is events made
 * durable per second while the app's thread only enqueues.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  openDatabase,
  openLedger,
  openLedgerReadonly,
  type ReportOptions,
  report,
} from "../src/ledger/index.js";
import type { Logger, SinkRecord, UsageEvent } from "../src/types.js";

const QUICK = process.argv.includes("--quick");
const sizeArg = process.argv.slice(2).find((a) => !a.startsWith("--"));
const TOTAL = Number(sizeArg ?? (QUICK ? 50_000 : 1_000_000));
const WRITE_BATCH = 1_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 30);
const SPAN = 30 * DAY;

const logger: Logger = { warn: (m) => console.warn(m), error: (m) => console.error(m) };

// Deterministic PRNG (mulberry32) so runs are comparable.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const hex = (n: number, width: number) => Math.floor(n).toString(16).padStart(width, "0");

const USE_CASES = Array.from({ length: 40 }, (_, i) => `use-case-${i}`);
const STEPS = ["plan", "retrieve", "draft", "review", "summarize", "classify"];
const MODELS: [string, string][] = [
  ["openai", "gpt-4o"],
  ["openai", "gpt-4o-mini"],
  ["openai", "gpt-4.1"],
  ["openai", "text-embedding-3-small"],
  ["anthropic", "claude-sonnet-4-5"],
  ["anthropic", "claude-haiku-4-5"],
  ["azure-openai", "my-deployment"],
  ["anthropic", "claude-opus-4-1"],
];
const TAGS = Array.from({ length: 20 }, (_, i) => `tag-${i}`);
const LIMITS = Array.from({ length: 10 }, (_, i) => `limit-${i}`);

let seq = 0;
let instance = "";
let instanceUseCase = "";
/** Realistic shape: UUIDv7-like (time-ordered) ids, 10k users, ~8 calls per use-case instance, tags, limits. */
function makeEvent(tsMs: number): UsageEvent {
  seq++;
  if (seq % 8 === 1 || !instance) {
    instance = `${hex(tsMs, 12)}-7${hex(rand() * 0xfff, 3)}-${hex(rand() * 0xffffffff, 8)}`;
    instanceUseCase = pick(USE_CASES);
  }
  const [provider, model] = pick(MODELS);
  const input = Math.floor(rand() * 4_000);
  const output = Math.floor(rand() * 800);
  const unpriced = model === "my-deployment" && rand() < 0.5;
  const tags = rand() < 0.3 ? [] : [pick(TAGS), ...(rand() < 0.3 ? [pick(TAGS)] : [])];
  const userId = rand() < 0.05 ? undefined : `user-${Math.floor(rand() * 10_000)}`;
  return {
    id: `${hex(tsMs, 12)}-${hex(seq, 8)}-${hex(rand() * 0xffffffff, 8)}`,
    ts: new Date(tsMs).toISOString(),
    durationMs: 200 + rand() * 3_000,
    ttftMs: 150,
    provider,
    operation: provider === "anthropic" ? "messages" : "chat",
    requestModel: model,
    responseModel: model,
    stream: rand() < 0.5,
    status: rand() < 0.02 ? "error" : "ok",
    attempts: 1,
    usage: {
      inputTokens: input,
      outputTokens: output,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    costMicros: unpriced ? null : Math.round(input * 2.5 + output * 10),
    currency: "USD",
    costSource: unpriced ? "unpriced" : "computed",
    annotations: {
      useCaseName: instanceUseCase,
      useCaseId: instance,
      useCaseVersion: 1,
      useCaseStep: pick(STEPS),
      ...(userId ? { userId } : {}),
      accountName: `account-${Math.floor(rand() * 500)}`,
      ...(rand() < 0.5 ? { limitIds: [pick(LIMITS)] } : {}),
      ...(tags.length ? { requestTags: [...new Set(tags)] } : {}),
      requestProperties: { region: "eu", plan: "pro" },
    },
    limitsExceeded: [],
  };
}

function makeBatch(n: number, startIndex: number, total: number): SinkRecord[] {
  const batch: SinkRecord[] = [];
  for (let i = 0; i < n; i++)
    batch.push({ event: makeEvent(NOW - SPAN + Math.floor(((startIndex + i) / total) * SPAN)) });
  return batch;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Events are generated ahead of each timed step (generation is not ingest). `flushEvery`: the application
 * calls flush() after that many events (one transaction per 50k); 0: it never does, and the sink drains
 * itself in the background (5k events per transaction, one per turn of the event loop), as in a busy server.
 */
async function ingest(
  path: string,
  total: number,
  flushEvery: number,
): Promise<{ ms: number; cpuMs: number }> {
  const sink = openLedger(path, { logger, installExitHooks: false });
  let ms = 0;
  let cpuMs = 0;
  const CHUNK = 50_000;
  for (let done = 0; done < total; done += CHUNK) {
    const n = Math.min(CHUNK, total - done);
    const batches: SinkRecord[][] = [];
    for (let i = 0; i < n; i += WRITE_BATCH)
      batches.push(makeBatch(Math.min(WRITE_BATCH, n - i), done + i, total));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (const batch of batches) {
      sink.write(batch);
      // Yield like an application between requests, letting the background drain run.
      if (!flushEvery) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (flushEvery) await sink.flush();
    else while (sink.stats().buffered > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const c = process.cpuUsage(c0);
    ms += performance.now() - t0;
    cpuMs += (c.user + c.system) / 1_000;
  }
  const stats = sink.stats();
  await sink.shutdown();
  if (stats.written !== total || stats.dropped !== 0)
    throw new Error(`ingest lost events: ${JSON.stringify(stats)}`);
  return { ms, cpuMs };
}

const dir = mkdtempSync(join(tmpdir(), "costtrail-bench-"));
const lines: string[] = [];
try {
  // 1. Ingest into a fresh file: the background-drain mode on a smaller ledger, then the 1M-event ledger
  //    that the reports run on, flushed every 50k events.
  const small = Math.min(TOTAL, 200_000);
  const bg = await ingest(join(dir, "background.db"), small, 0);
  lines.push(
    `| ingest ${fmt(small)} events, background drain (5k/transaction) | ${fmt(bg.ms)} ms | **${fmt((small / bg.ms) * 1e3)} events/s** (${fmt((small / bg.cpuMs) * 1e3)} per CPU-second) |`,
  );
  // Reference: the same ingest with the three report indices dropped, to show what they cost.
  const bare = join(dir, "bare.db");
  const pre = openDatabase(bare);
  for (const index of ["events_by_user", "events_by_instance", "events_by_time"])
    pre.exec(`DROP INDEX IF EXISTS ${index}`);
  pre.close();
  seq = 0;
  const ref = await ingest(bare, small, 0);
  lines.push(
    `| (reference) same, without the 3 report indices | ${fmt(ref.ms)} ms | ${fmt((small / ref.ms) * 1e3)} events/s (${fmt((small / ref.cpuMs) * 1e3)} per CPU-second) |`,
  );

  const path = join(dir, "ledger.db");
  seq = 0;
  const big = await ingest(path, TOTAL, 50_000);
  lines.push(
    `| ingest ${fmt(TOTAL)} events, flush() every 50k | ${fmt(big.ms)} ms | **${fmt((TOTAL / big.ms) * 1e3)} events/s** (${fmt((TOTAL / big.cpuMs) * 1e3)} per CPU-second) |`,
  );
  const sizeMb = statSync(path).size / 1e6;

  // 2. Report latency through a read-only connection, as the CLI and dashboard open it.
  const db = openLedgerReadonly(path);
  const cases: [string, ReportOptions][] = [
    ["--by user", { by: "user" }],
    ["--by user --since 7d", { by: "user", since: "7d" }],
    ["--by instance", { by: "instance" }],
    ["--by instance --since 7d", { by: "instance", since: "7d" }],
    ["--by instance --use-case use-case-7", { by: "instance", useCase: "use-case-7" }],
    ["--by use-case", { by: "use-case" }],
    ["--by account --since 24h", { by: "account", since: "24h" }],
    ["--by model", { by: "model" }],
    ["--by day", { by: "day" }],
    ["--by tag", { by: "tag" }],
    ["--by limit --since 7d", { by: "limit", since: "7d" }],
  ];
  for (const [label, options] of cases) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      rows = report(db, { ...options, now: NOW }).rows.length;
      times.push(performance.now() - t);
    }
    lines.push(
      `| report ${label} | ${fmt(median(times))} ms | ${fmt(rows)} rows; min ${fmt(Math.min(...times))}, max ${fmt(Math.max(...times))} ms |`,
    );
  }
  db.close();

  console.log(
    `\nLedger benchmark: ${fmt(TOTAL)} events, ${sizeMb.toFixed(0)} MB file, Node ${process.version}\n`,
  );
  console.log("| measurement | time (median of 5 for reports) | notes |");
  console.log("|---|---:|---|");
  for (const line of lines) console.log(line);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
