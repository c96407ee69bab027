/**
 * The goals of issue 19 (docs/benchmarks.md), each measured here and printed with PASS / FALL SHORT.
 * CPU goals are measured in this one process, alternating bare+ALS and instrumented blocks (instrument() /
 * shutdown() between them), which removes the process-to-process differences the peer table carries; so are the
 * wall-time goals, on the loopback mock, with the peer table's figure (bench/peers.ts --json, passed as --peers)
 * printed beside them.
 *
 *   npx tsx bench/goals.ts [--quick | --full] [--peers peers.json]
 *
 * Sizes: --quick for development; the default is smaller than the goals' sizes where those take minutes and
 * gigabytes (memory: 200k calls; the 10M-event report: a 1M-event ledger, the dashboard's own size) and says so,
 * extrapolating linearly, which overstates rollup reads (their rows grow with distinct keys, not with events);
 * --full runs 1M calls and a 10M-event ledger.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { default as OpenAIClass } from "openai";
import { Call, observeIterator } from "../src/calls/index.js";
import { openDatabase, openLedger, openLedgerReadonly, report } from "../src/ledger/index.js";
import type { LimitGate, LimitHold } from "../src/limits/gate.js";
import { LimitEngine, parseLimits } from "../src/limits/index.js";
import { MemoryLimitGate } from "../src/limits/memory-gate.js";
import type { Runtime } from "../src/runtime.js";
import { startDashboard } from "../src/server/index.js";
import type { SinkRecord } from "../src/types.js";
import { benchCall, benchLimits, cannedFetch, STREAM_CHUNKS } from "./peer-fixtures.js";
import type { PeerTable } from "./peers.js";
import { buildLedger, dashboardCalls, makeEvent } from "./synthetic-ledger.js";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const FULL = argv.includes("--full");
const peersIndex = argv.indexOf("--peers");
const PEERS = peersIndex >= 0 ? argv[peersIndex + 1] : undefined;
const size = (quick: number, normal: number, full: number) => (QUICK ? quick : FULL ? full : normal);

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const dist = new URL("../dist/src/index.js", import.meta.url);
const costtrail = (await import(
  existsSync(dist) ? dist.href : "../src/index.js"
)) as typeof import("../src/index.js");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f1 = (n: number) => n.toFixed(1);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const dir = mkdtempSync(join(tmpdir(), "costtrail-bench-goals-"));

interface Goal {
  goal: string;
  target: string;
  measured: string;
  pass: boolean | undefined;
}
const goals: Goal[] = [];
const goal = (g: string, target: string, measured: string, pass: boolean | undefined) => {
  goals.push({ goal: g, target, measured, pass });
  console.error(`  measured: ${g}: ${measured}`);
};

// ---- 1, 2. the call path: costtrail's own CPU per call, over bare inside an AsyncLocalStorage scope -------

const OpenAI = createRequire(import.meta.url)("openai") as typeof OpenAIClass;
const client = new OpenAI({ apiKey: "bench", maxRetries: 0, fetch: cannedFetch as never });
const messages = [{ role: "user" as const, content: "Benchmark me briefly." }];
async function calls(stream: boolean, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await benchCall(client, stream);
  }
}
const als = new AsyncLocalStorage<object>();
async function cpuPerCall(stream: boolean, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  await als.run({}, () => calls(stream, n));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}
/** Paired rounds: bare+ALS block, instrumented block; the median of the per-round differences, µs per call. */
async function ownCpu(stream: boolean): Promise<{ own: number; bare: number }> {
  const block = stream ? size(20, 40, 40) : size(500, 1_000, 1_000);
  // On a shared VM a block's CPU moves by ±10 % between rounds (GC, other tenants): more rounds narrow the
  // median of the differences (docs/benchmarks.md "Streams of named events read in place (issue 19, session 7)").
  const rounds = size(7, 31, 41);
  let events = 0;
  const instrumented = async () => {
    const handle = costtrail.instrument({ ledger: false, onEvent: () => void events++ });
    await handle.ready;
    try {
      return await cpuPerCall(stream, block);
    } finally {
      await handle.shutdown();
    }
  };
  for (let i = 0; i < 4; i++) {
    await cpuPerCall(stream, block * 2); // warm-up: V8 compiles the SDK's code over the first thousands
    await instrumented();
  }
  const diffs: number[] = [];
  const bares: number[] = [];
  events = 0;
  for (let r = 0; r < rounds; r++) {
    const bare = await cpuPerCall(stream, block);
    const inst = await instrumented();
    bares.push(bare);
    diffs.push(inst - bare);
  }
  if (events !== rounds * block) throw new Error(`expected ${rounds * block} events, got ${events}`);
  return { own: median(diffs), bare: median(bares) };
}
console.error("call path (in-process transport, one process, paired rounds) …");
const chatOwn = await ownCpu(false);
const streamOwn = await ownCpu(true);
const perChunk = (streamOwn.own - chatOwn.own) / STREAM_CHUNKS;

/**
 * Wall time on the loopback mock (its own process), paired in this process: a bare block and an instrumented one
 * per round, who goes first alternating, the median and min of the per-round ratios. The peer table's separate
 * processes differ by up to ±30 % among themselves on this VM (its bare process read slower than bare+ALS's), so
 * the goal rows take this pairing; the peer table's figure is printed beside it. In both blocks costtrail's one
 * AsyncLocalStorage is enabled once instrument() has run (it stays so after shutdown()), so the ratio leaves out
 * its copy onto each promise (~1 % of a loopback call, docs/benchmarks.md "Streams of named events read in place
 * (issue 19, session 7)").
 */
console.error("wall time on the loopback mock (one process, paired rounds) …");
const mockServer = spawn(
  process.execPath,
  ["--import", "tsx", new URL("./mock-server-process.ts", import.meta.url).pathname],
  { stdio: ["ignore", "pipe", "inherit"] },
);
process.on("exit", () => mockServer.kill("SIGTERM"));
const [mockLine] = (await once(createInterface({ input: mockServer.stdout! }), "line")) as [string];
const loopback = new OpenAI({
  apiKey: "bench",
  maxRetries: 0,
  baseURL: (JSON.parse(mockLine) as { openaiBaseURL: string }).openaiBaseURL,
});
async function wallPerCall(stream: boolean, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await benchCall(loopback, stream);
  return ((performance.now() - t0) * 1e3) / n;
}
async function pairedWall(stream: boolean): Promise<{ median: number; min: number; bare: number }> {
  const block = stream ? size(10, 20, 30) : size(100, 200, 200);
  const rounds = size(5, 15, 21);
  const instrumented = async () => {
    const handle = costtrail.instrument({ ledger: false, onEvent: () => {} });
    await handle.ready;
    try {
      return await wallPerCall(stream, block);
    } finally {
      await handle.shutdown();
    }
  };
  for (let i = 0; i < 2; i++) {
    await wallPerCall(stream, block);
    await instrumented();
  }
  const ratios: number[] = [];
  const bares: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let bare: number;
    let inst: number;
    if (r % 2 === 0) {
      bare = await wallPerCall(stream, block);
      inst = await instrumented();
    } else {
      inst = await instrumented();
      bare = await wallPerCall(stream, block);
    }
    bares.push(bare);
    ratios.push(inst / bare);
  }
  return { median: median(ratios), min: Math.min(...ratios), bare: median(bares) };
}
const chatWall = await pairedWall(false);
const streamWall = await pairedWall(true);
mockServer.kill("SIGTERM");

const peers = PEERS && existsSync(PEERS) ? (JSON.parse(readFileSync(PEERS, "utf8")) as PeerTable[]) : [];
const peerWall = (mode: "chat" | "stream") => {
  const w = peers
    .find((t) => t.transport === "loopback" && t.mode === mode)
    ?.rows.find((r) => r.variant === "costtrail, ledger off")?.wallVsBare;
  return w ? `; peer table, separate processes: ${w.median.toFixed(3)}× median` : "";
};
const wallText = (w: { median: number; min: number; bare: number }, mode: "chat" | "stream") =>
  `${w.median.toFixed(3)}× median, ${w.min.toFixed(3)}× min of paired rounds (bare call ${fmt(w.bare)} µs)${peerWall(mode)}`;
goal(
  "non-streaming: costtrail's own CPU per call (over bare + AsyncLocalStorage)",
  "≤ 15 µs",
  `${f1(chatOwn.own)} µs (bare+ALS call: ${f1(chatOwn.bare)} µs)`,
  chatOwn.own <= 15,
);
goal(
  "non-streaming: wall time vs bare (loopback mock, one process, paired rounds, ledger off)",
  "≤ 1.03×",
  wallText(chatWall, "chat"),
  chatWall.median <= 1.03,
);
goal(
  `streaming: CPU per chunk (own CPU of a ${STREAM_CHUNKS}-chunk stream minus a non-streaming call's, ÷ ${STREAM_CHUNKS})`,
  "≤ 1 µs",
  `${perChunk.toFixed(2)} µs (whole stream: ${f1(streamOwn.own)} µs own, ${(streamOwn.own / STREAM_CHUNKS).toFixed(2)} µs per chunk all in)`,
  perChunk <= 1,
);
goal(
  `streaming: wall time vs bare, ${STREAM_CHUNKS} chunks (loopback mock, one process, paired rounds, ledger off)`,
  "≤ 1.03×",
  wallText(streamWall, "stream"),
  streamWall.median <= 1.03,
);

{
  // The per-chunk figure above is a difference of two whole-call CPU figures, which a loaded machine blurs by
  // ±1 µs per chunk. Beside it, the iterator observer's own work per item, exactly: a synthetic 200-item async
  // iterator drained bare and observed (calls/observe.ts, one `.then` per item), in alternating rounds. (OpenAI
  // and Anthropic streams are observed at their body instead, toolkit/event-stream-body.ts: their per-chunk cost
  // is in the whole-call row above.)
  const chunk = { id: "x", model: "gpt-4o-mini", choices: [{ index: 0, delta: { content: "hi" } }] };
  const source = (n: number): AsyncIterator<unknown> => {
    let i = 0;
    return {
      next: () => Promise.resolve(i++ < n ? { done: false, value: chunk } : { done: true, value: undefined }),
    };
  };
  const drain = async (it: AsyncIterator<unknown>) => {
    while (!(await it.next()).done) {
      // drain
    }
  };
  const runtime = { pipeline: { emit() {}, captureContexts: () => undefined } } as unknown as Runtime;
  const start = {
    provider: "openai",
    operation: "chat",
    requestModel: "m",
    stream: true,
    headers: [],
    estimateInputTokens: () => 1,
  };
  const observer = {
    onItem: (c: { model?: string }, call: Call) => {
      if (c.model) call.responseModel = c.model;
      return "content" as const;
    },
  };
  const streams = size(100, 300, 500);
  const items = STREAM_CHUNKS;
  const raw: number[] = [];
  const observed: number[] = [];
  for (let r = 0; r < 9; r++) {
    let t = process.hrtime.bigint();
    for (let k = 0; k < streams; k++) await drain(source(items));
    if (r > 0) raw.push(Number(process.hrtime.bigint() - t) / (streams * items));
    t = process.hrtime.bigint();
    for (let k = 0; k < streams; k++) {
      const call = new Call(runtime, start, {}, undefined);
      await drain(observeIterator(source(items), call, observer, { abortType: "AbortError" }));
    }
    if (r > 0) observed.push(Number(process.hrtime.bigint() - t) / (streams * items));
  }
  const addedNs = median(observed) - median(raw);
  goal(
    "streaming: the iterator observer's own work per item (calls/observe.ts: Bedrock streams, the Stream fallback; synthetic iterator, isolated)",
    "≤ 1 µs",
    `${(addedNs / 1000).toFixed(2)} µs (${fmt(median(raw))} ns per item bare, ${fmt(median(observed))} ns observed)`,
    addedNs <= 1000,
  );
}

// ---- 3. scope entry: @track / trackContext vs a bare AsyncLocalStorage.run -------------------------------

console.error("scope entry …");
{
  const N = size(300_000, 1_000_000, 2_000_000);
  const store = {};
  const work = (a: number, b: number) => a + b;
  const tracked = costtrail.track({ useCaseName: "bench", userId: "u" }, work);
  const variants: [string, (i: number) => number][] = [
    ["AsyncLocalStorage.run", (i) => als.run(store, work, i, 1)],
    ["track(opts, fn)", (i) => tracked(i, 1)],
    ["trackContext", (i) => costtrail.trackContext({ userId: "u" }, () => work(i, 1))],
  ];
  const ns = new Map<string, number[]>(variants.map(([l]) => [l, []]));
  for (let round = 0; round < 6; round++) {
    for (const [label, fn] of variants) {
      let sink = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N / 5; i++) sink += fn(i);
      if (round > 0) ns.get(label)!.push(Number(process.hrtime.bigint() - t0) / (N / 5));
      if (sink === -1) console.log(sink);
    }
  }
  const base = median(ns.get("AsyncLocalStorage.run")!);
  for (const label of ["track(opts, fn)", "trackContext"]) {
    const x = median(ns.get(label)!);
    goal(
      `${label} entry vs AsyncLocalStorage.run`,
      "≤ 2×",
      `${(x / base).toFixed(2)}× (${f1(x)} vs ${f1(base)} ns)`,
      x / base <= 2,
    );
  }
}

// ---- 4. the limit gate with 10 limits --------------------------------------------------------------------

console.error("limit gate …");
{
  // In process: the gate of a process without a shared ledger file (ledger: false / ":memory:"), answering from
  // memory. The file-ledger engine (two IMMEDIATE transactions per call, the cross-process guarantee) is
  // measured beside it, reported, not a goal of its own.
  const limits = parseLimits(benchLimits(10));
  const request = {
    annotations: { limitIds: benchLimits(10).map((l) => l.id) },
    provider: "openai",
    requestModel: "gpt-4o-mini",
    reserveMicros: 2_000,
  };
  const perCall = (gate: LimitGate, n: number) => {
    const run = () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) (gate.reserve(request) as LimitHold | undefined)?.settle(1_000);
      return Number(process.hrtime.bigint() - t0) / 1e3 / n;
    };
    run();
    return median([run(), run(), run(), run(), run()]);
  };
  const memory = new MemoryLimitGate({ limits });
  const memoryUs = perCall(memory, size(20_000, 100_000, 200_000));
  memory.close();
  const engine = new LimitEngine({ db: openDatabase(join(dir, "gate.db")), limits });
  const fileUs = perCall(engine, size(1_000, 4_000, 10_000));
  engine.close();
  goal(
    "limit gate in process, reserve + settle, 10 limits (ledger off / :memory:)",
    "≤ 10 µs",
    `${memoryUs.toFixed(2)} µs per call (file-ledger engine, shared across processes: ${f1(fileUs)} µs)`,
    memoryUs <= 10,
  );
}

// ---- 5. SQLite ingest, and the event loop while it runs --------------------------------------------------

console.error("ledger ingest …");
{
  const total = size(50_000, 200_000, 1_000_000);
  const start = Date.now() - 86_400_000;
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  type Sink = Pick<ReturnType<typeof openLedger>, "write" | "stats">;
  /**
   * As a busy app: 100 events per turn of the event loop, the sink draining in the background; then waits until
   * every event is in the file (the spooled ones are replayed after the backlog).
   */
  const produce = async (sink: Sink) => {
    const batches: SinkRecord[][] = [];
    for (let done = 0; done < total; done += 100)
      batches.push(Array.from({ length: 100 }, (_, i) => ({ event: makeEvent(start + done + i) })));
    // The pre-made events (~1 kB each) go to the old generation first: otherwise the first scavenges of the run
    // copy them, pauses of the bench's making (an app makes its events as it goes), not the ledger's.
    gc();
    gc();
    // The histogram records the interval between its 1 ms timer's ticks (an idle loop reads ~1 ms), so a block of
    // the loop is between max − 1 ms and max; 1 ms is the finest it takes. The bench also times each turn (below).
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const t0 = performance.now();
    let maxWrite = 0;
    let maxTurn = 0;
    let spilled = 0;
    // Each batch is let go once written (an app keeps no events), so the bench's own heap does not inflate the GC
    // pauses measured. A turn is timed from one write()'s start to the next's: the write itself (where the ledger
    // encodes the events) and whatever else ran in between (its hand-over, GC, the thread's messages).
    let last = performance.now();
    for (let i = 0; i < batches.length; i++) {
      const w = performance.now();
      if (i > 0) maxTurn = Math.max(maxTurn, w - last);
      last = w;
      sink.write(batches[i]!);
      maxWrite = Math.max(maxWrite, performance.now() - w);
      batches[i] = [];
      await tick();
      spilled = Math.max(spilled, sink.stats().spooled);
    }
    // Then wait without spinning (a spinning wait takes a core from the writer thread on a 2-vCPU machine).
    while (sink.stats().buffered > 0 || sink.stats().spooled > 0)
      await new Promise((resolve) => setTimeout(resolve, 2));
    const ms = performance.now() - t0;
    delay.disable();
    return { ms, maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, maxTurn, maxWrite, spilled };
  };
  // The same loop with a sink that keeps nothing, first: what this machine and the bench's own loop give
  // without any ledger (a VM that deschedules the process shows here as well).
  const off = await produce({
    write: () => {},
    stats: () => ({ written: total, buffered: 0, spooled: 0, dropped: 0 }) as ReturnType<Sink["stats"]>,
  });
  const sink = openLedger(join(dir, "ingest.db"), {
    logger: { warn: console.warn, error: console.error },
    installExitHooks: false,
  });
  const on = await produce(sink);
  const stats = sink.stats();
  await sink.shutdown();
  if (stats.written !== total) throw new Error(`ingest wrote ${stats.written} of ${total}`);
  const rate = (total / on.ms) * 1e3;
  goal(
    `SQLite ledger ingest (${fmt(total)} events, background drain)`,
    "≥ 100,000 events/s",
    `${fmt(rate)} events/s (faster than the file takes them: up to ${fmt(on.spilled)} went through the spool)`,
    rate >= 100_000,
  );
  goal(
    "event loop delay while ingesting (monitorEventLoopDelay at 1 ms resolution: intervals between ticks, max; and the longest turn)",
    "≤ 1 ms",
    `${f1(on.maxMs)} ms max interval (a block of ${f1(on.maxMs - 1)}–${f1(on.maxMs)} ms), ${f1(on.p99Ms)} ms p99; ` +
      `longest turn ${f1(on.maxTurn)} ms, longest sink.write() of 100 events ${f1(on.maxWrite)} ms; ` +
      `the same loop with the ledger off: ${f1(off.maxMs)} ms max interval, longest turn ${f1(off.maxTurn)} ms`,
    on.maxTurn <= 1 && on.maxMs - 1 <= 1,
  );
}

// ---- 6. memory over many calls ---------------------------------------------------------------------------

console.error("memory …");
{
  const total = size(50_000, 200_000, 1_000_000);
  const handle = costtrail.instrument({ ledger: false, onEvent: () => {} });
  await handle.ready;
  await calls(false, 20_000); // warm-up
  gc();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  await calls(false, total);
  gc();
  const rssMb = (process.memoryUsage().rss - rss0) / 1e6;
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
  await handle.shutdown();
  goal(
    `memory growth over ${fmt(total)} calls after warm-up (in-process transport, ledger off)${total < 1_000_000 ? "; the goal's 1M with --full" : ""}`,
    "RSS < 20 MB",
    `RSS ${rssMb >= 0 ? "+" : ""}${f1(rssMb)} MB, heap ${heapMb >= 0 ? "+" : ""}${f1(heapMb)} MB`,
    rssMb < 20,
  );
}
{
  // Calls nobody awaits (fire-and-forget, issue 22): each finishes when its response arrives, so nothing of
  // it stays behind; launched 1,000 at a time, each batch left to finish before the next.
  const total = size(10_000, 50_000, 1_000_000);
  let events = 0;
  const handle = costtrail.instrument({ ledger: false, onEvent: () => void events++ });
  await handle.ready;
  const unawaited = async (n: number) => {
    for (let done = 0; done < n; done += 1_000) {
      const target = events + 1_000;
      for (let i = 0; i < 1_000; i++) void client.chat.completions.create({ model: "gpt-4o-mini", messages });
      while (events < target) await new Promise((r) => setImmediate(r));
    }
  };
  await unawaited(10_000); // warm-up
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  await unawaited(total);
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
  await handle.shutdown();
  goal(
    `memory: heap growth over ${fmt(total)} calls never awaited (each recorded when its response arrives)`,
    "< 20 MB",
    `heap ${heapMb >= 0 ? "+" : ""}${f1(heapMb)} MB, ${fmt(events)} events`,
    heapMb < 20,
  );
}

// ---- 7. reports and the dashboard over big ledgers -------------------------------------------------------

async function readSide(events: number, withDashboard: boolean, withReport: boolean): Promise<void> {
  const path = join(dir, `read-${events}.db`);
  const now = Date.now();
  const t0 = performance.now();
  buildLedger(path, events, now);
  console.error(`  built a ${fmt(events)}-event ledger in ${fmt(performance.now() - t0)} ms`);
  const db = openLedgerReadonly(path);
  if (withReport) {
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = performance.now();
      report(db, { by: "user", now });
      if (i > 0) times.push(performance.now() - t);
    }
    const ms = median(times);
    const scaled = (ms * 10_000_000) / events;
    goal(
      "report --by user over 10M events",
      "< 2 s",
      events >= 10_000_000
        ? `${fmt(ms)} ms`
        : `${fmt(scaled)} ms extrapolated ×${fmt(10_000_000 / events)} from ${fmt(ms)} ms over ${fmt(events)} events (--full measures 10M)`,
      scaled < 2_000,
    );
  }
  if (withDashboard) {
    const dashboard = await startDashboard({ db, port: 0 });
    const first = (await (await fetch(`${dashboard.url}api/report?by=instance&limit=1`)).json()) as {
      rows: { key: string }[];
    };
    const samples: number[] = [];
    for (const [label, query] of dashboardCalls(now, first.rows[0]!.key)) {
      if (label.startsWith("(")) continue; // not a call the page makes
      for (let i = 0; i < 4; i++) {
        const t = performance.now();
        await (await fetch(`${dashboard.url}api/${query}`)).arrayBuffer();
        if (i > 0) samples.push(performance.now() - t);
      }
    }
    await dashboard.close();
    const p95 = [...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.95)]!;
    const scaled = (p95 * 1_000_000) / events;
    goal(
      "dashboard API p95 over 1M events (every call the page makes, 3 samples each)",
      "< 100 ms",
      events >= 1_000_000
        ? `${fmt(p95)} ms`
        : `${fmt(scaled)} ms extrapolated ×${fmt(1_000_000 / events)} from ${fmt(p95)} ms over ${fmt(events)} events (--full measures 1M)`,
      scaled < 100,
    );
  }
  db.close();
  rmSync(path, { force: true });
}
console.error("reports and dashboard …");
try {
  if (FULL) {
    await readSide(1_000_000, true, false);
    await readSide(10_000_000, false, true);
  } else await readSide(size(50_000, 1_000_000, 0), true, true);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\nGoals (issue 19), node ${process.version}, ${QUICK ? "QUICK sizes" : FULL ? "full sizes" : "default sizes"}, costtrail from ${existsSync(dist) ? "dist" : "src"}\n`,
);
console.log("| goal | target | measured | |\n|---|---|---|---|");
for (const g of goals)
  console.log(
    `| ${g.goal} | ${g.target} | ${g.measured} | ${g.pass === undefined ? "not measured" : g.pass ? "PASS" : "FALL SHORT"} |`,
  );
