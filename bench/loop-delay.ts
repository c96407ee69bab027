/**
 * The event loop while the SQLite ledger ingests (issue 19, docs/benchmarks.md "Event-loop delay while ingesting"):
 * bench/goals.ts section 5 on its own — events written with sink.write() in batches of 100, one batch per turn, as
 * fast as the loop turns — with what the goal row cannot show: how long each turn took, the GC pauses, and CPU.
 * Given source trees (e.g. `git archive <commit> | tar -x -C /tmp/old`), it alternates them in one process, round
 * by round, so before/after figures come from one machine state.
 *
 *   npx tsx bench/loop-delay.ts [--total 200000] [--rounds 1] [--off] [<dir>...]   (default dir: this tree)
 *   npx tsx bench/loop-delay.ts --ops     (this tree: the app thread's per-turn operations, min and median)
 *
 * monitorEventLoopDelay records the interval between its timer's ticks, so at resolution 1 ms an idle loop reads
 * ~1 ms; "blocked" below is that interval minus the 1 ms. Turns are timed from one batch's write to the next.
 * The pre-made events are moved to the old generation before the clock starts (see run()). `--off` adds a round of
 * the same producer loop with the ledger off (a sink that drops what it is given): the bench's own share.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, PerformanceObserver, performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { SinkRecord } from "../src/types.js";
import { takeNumberOption } from "./number-option.js";
import { makeEvent } from "./synthetic-ledger.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => takeNumberOption(argv, name, fallback);
const total = option("--total", 200_000);
const rounds = option("--rounds", 1);
const roots = argv.filter((a) => !a.startsWith("--"));
if (roots.length === 0) roots.push(new URL("..", import.meta.url).pathname);

if (argv.includes("--ops")) {
  const { toPendingEvent } = await import("../src/ledger/event-row.js");
  const { encodeBatch } = await import("../src/ledger/spooled-record.js");
  const events = Array.from({ length: 256 }, (_, i) => makeEvent(Date.now() + i));
  const pending = events.map(toPendingEvent);
  const time = (label: string, fn: () => void) => {
    for (let i = 0; i < 200; i++) fn();
    const xs: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const t = performance.now();
      fn();
      xs.push(performance.now() - t);
    }
    xs.sort((a, b) => a - b);
    console.log(`${label}: min ${fmtUs(xs[0]!)} µs, median ${fmtUs(xs[1_000]!)} µs`);
  };
  const fmtUs = (ms: number) => (ms * 1000).toFixed(0);
  time("toPendingEvent × 100 (write() of 100 events)", () => {
    for (let i = 0; i < 100; i++) toPendingEvent(events[i]!);
  });
  const { BatchEncoder } = await import("../src/ledger/batch-encoder.js");
  const encoder = new BatchEncoder();
  time("toPendingEvent + BatchEncoder.add × 100 (a write() of 100 events now)", () => {
    for (let i = 0; i < 100; i++) encoder.add(toPendingEvent(events[i]!));
    encoder.clear();
  });
  time("encodeBatch, 128 events (encoded by hand, one batch)", () => encodeBatch(pending.slice(0, 128), []));
  time("encodeBatch, 256 events", () => encodeBatch(pending, []));
  const { serialize } = await import("node:v8");
  time("node:v8 serialize, 128 events (what encoded a batch before)", () =>
    serialize([pending.slice(0, 128), []]),
  );
  time(
    "structuredClone, 256 events (serialize + deserialize; posting objects costs the app the first half)",
    () => structuredClone([pending, []]),
  );
  process.exit(0);
}

type Ledger = typeof import("../src/ledger/index.js");
const builds = await Promise.all(
  roots.map(async (root) => ({
    root,
    ledger: (await import(new URL(`file://${root}/src/ledger/index.ts`).href)) as Ledger,
  })),
);
if (argv.includes("--off")) {
  // The same loop with a sink that keeps nothing: what the bench's own loop (and its pre-made events) cost.
  const off = {
    openLedger: () => ({
      write: () => {},
      stats: () => ({ written: total, buffered: 0, spooled: 0, dropped: 0 }),
      shutdown: async () => {},
    }),
  } as unknown as Ledger;
  builds.push({ root: "(ledger off)", ledger: off });
}
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const dir = mkdtempSync(join(tmpdir(), "costtrail-bench-loop-"));
const f2 = (n: number) => n.toFixed(2);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const gcPauses: { kind: number; ms: number; at: number }[] = [];

/**
 * The app thread's own scheduler counters (Linux: /proc/self/task/<tid>/schedstat, the main thread's tid is the
 * pid): nanoseconds on a CPU and waiting for one. A long span with a long wait was the machine, not the code.
 */
const schedFd = (() => {
  try {
    return openSync(`/proc/self/task/${process.pid}/schedstat`, "r");
  } catch {
    return undefined;
  }
})();
const schedBuf = Buffer.alloc(128);
function sched(): [number, number] {
  if (schedFd === undefined) return [0, 0];
  const n = readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
  const [run, wait] = schedBuf.toString("latin1", 0, n).split(" ");
  return [Number(run) / 1e6, Number(wait) / 1e6];
}
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcPauses.push({
      kind: (e as unknown as { detail: { kind: number } }).detail.kind,
      ms: e.duration,
      at: e.startTime,
    });
  }
});
gcObserver.observe({ entryTypes: ["gc"] });
// perf_hooks constants NODE_PERFORMANCE_GC_*: MINOR 1, MAJOR 4, INCREMENTAL 8, WEAKCB 16.
const GC_KIND: Record<number, string> = { 1: "scavenge", 4: "mark-compact", 8: "incremental", 16: "weakcb" };

async function run(ledger: Ledger, label: string, round: number): Promise<void> {
  const batches: SinkRecord[][] = [];
  const start = Date.now() - 86_400_000 + round * total;
  for (let done = 0; done < total; done += 100)
    batches.push(Array.from({ length: 100 }, (_, i) => ({ event: makeEvent(start + done + i) })));
  const path = join(dir, `ingest-${label.replace(/\W/g, "_")}-${round}.db`);
  // Spool segments named by this (the app's) thread: it should write none while the writer thread is alive.
  const spoolDir = `${path}.spool`; // spoolDirFor (src/ledger/spool.ts), the same in both trees
  mkdirSync(spoolDir, { recursive: true });
  const appSegments = new Set<string>();
  const watcher = watch(spoolDir, (_, name) => {
    if (name?.startsWith(`seg-${process.pid}-0-`)) appSegments.add(name.replace(/\.tmp$/, ""));
  });
  const sink = ledger.openLedger(path, {
    logger: { warn: console.warn, error: console.error },
    installExitHooks: false,
  });
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  await tick();
  // The bench's pre-made events (~200 MB for 200k) go to the old generation first: otherwise the first scavenges
  // copy them, pauses of the bench's own making, not the ledger's (an app makes its events as it goes).
  gc();
  gc();
  gcPauses.length = 0;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const turns: number[] = [];
  /**
   * Every write() and every gap between two, as [start, end, ms on a CPU, ms waiting for one]: the long ones are
   * matched with GC pauses and the thread's scheduling below.
   */
  const spans: [number, number, number, number][] = [];
  delay.enable();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let maxWrite = 0;
  let spooled = 0;
  let last = performance.now();
  let [lastRun, lastWait] = sched();
  for (let i = 0; i < batches.length; i++) {
    const w = performance.now();
    const [wRun, wWait] = sched();
    turns.push(w - last);
    spans.push([last, w, wRun - lastRun, wWait - lastWait]);
    sink.write(batches[i]!);
    last = performance.now();
    [lastRun, lastWait] = sched();
    spans.push([w, last, lastRun - wRun, lastWait - wWait]);
    maxWrite = Math.max(maxWrite, last - w);
    batches[i] = [];
    await tick();
    spooled = Math.max(spooled, sink.stats().spooled);
  }
  const loopEnd = performance.now();
  // Until every event is in the file: the spooled ones are replayed in the background, after the backlog.
  while (sink.stats().buffered > 0 || sink.stats().spooled > 0)
    await new Promise((resolve) => setTimeout(resolve, 2));
  const ms = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  delay.disable();
  const stats = sink.stats();
  await sink.shutdown();
  watcher.close();
  if (stats.written !== total) throw new Error(`${label}: wrote ${stats.written} of ${total}`);
  // Whole turns, one write()'s start to the next's (the write included: the ledger encodes in it now).
  const whole: number[] = [];
  for (let i = 2; i < spans.length; i += 2) whole.push(spans[i]![1] - spans[i - 1]![0]);
  whole.sort((a, b) => a - b);
  turns.sort((a, b) => a - b);
  const over1 = turns.filter((t) => t > 1).length;
  const over2 = turns.filter((t) => t > 2).length;
  const byKind = new Map<string, { n: number; max: number; sum: number }>();
  // The observer reports asynchronously: pauses of the making of the events and of the forced collections
  // arrive after the clock started. Only those that began while the producer loop ran count.
  const pauses = gcPauses.filter((g) => g.at >= t0 && g.at <= loopEnd);
  const long = spans.filter(([a, b]) => b - a > 2);
  let longMs = 0;
  let longGcMs = 0;
  let longWithGc = 0;
  let longRun = 0;
  let longWait = 0;
  for (const [a, b, run, wait] of long) {
    longMs += b - a;
    longRun += run;
    longWait += wait;
    let inside = 0;
    for (const p of pauses) inside += Math.max(0, Math.min(b, p.at + p.ms) - Math.max(a, p.at));
    longGcMs += inside;
    if (inside > 0) longWithGc++;
  }
  for (const p of pauses) {
    const k = GC_KIND[p.kind] ?? String(p.kind);
    const s = byKind.get(k) ?? { n: 0, max: 0, sum: 0 };
    s.n++;
    s.max = Math.max(s.max, p.ms);
    s.sum += p.ms;
    byKind.set(k, s);
  }
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${label} round ${round}: ${fmt((total / ms) * 1e3)} events/s wall, ${fmt(total / cpuS)} events per process CPU-s, ` +
      `ELU ${f2(elu.utilization)}; spooled up to ${fmt(spooled)}, segments written by the app's thread: ${appSegments.size}\n` +
      `  loop delay (monitorEventLoopDelay, 1 ms resolution): max ${f2(delay.max / 1e6)} ms ` +
      `(blocked ${f2(delay.max / 1e6 - 1)}), p99 ${f2(delay.percentile(99) / 1e6)} ms, p99.9 ${f2(delay.percentile(99.9) / 1e6)} ms\n` +
      `  turns (write to write, ${fmt(turns.length)}): p50 ${f2(turns[Math.floor(turns.length / 2)]!)} ms, ` +
      `p99 ${f2(turns[Math.floor(turns.length * 0.99)]!)} ms, max ${f2(turns[turns.length - 1]!)} ms, > 1 ms: ${over1}, > 2 ms: ${over2}; ` +
      `longest write() ${f2(maxWrite)} ms\n` +
      `  whole turns (a write()'s start to the next's): p50 ${f2(whole[Math.floor(whole.length / 2)]!)} ms, ` +
      `p99 ${f2(whole[Math.floor(whole.length * 0.99)]!)} ms, max ${f2(whole[whole.length - 1]!)} ms, ` +
      `> 1 ms: ${whole.filter((t) => t > 1).length}, > 2 ms: ${whole.filter((t) => t > 2).length}\n` +
      `  GC on the app's thread during the producer loop: ${[...byKind].map(([k, s]) => `${k} ${s.n}× max ${f2(s.max)} ms (sum ${fmt(s.sum)} ms)`).join(", ") || "none"}\n` +
      `  write()s and gaps > 2 ms: ${long.length} (${fmt(longMs)} ms), ${longWithGc} of them with a GC pause inside; ` +
      `of their time: GC ${fmt(longGcMs)} ms, the app thread on a CPU ${fmt(longRun)} ms, waiting for one ${fmt(longWait)} ms`,
  );
}

for (let round = 0; round < rounds; round++) {
  for (const b of round % 2 === 0 ? builds : [...builds].reverse()) await run(b.ledger, b.root, round);
}
gcObserver.disconnect();
if (schedFd !== undefined) closeSync(schedFd);
rmSync(dir, { recursive: true, force: true });
