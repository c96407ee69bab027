// @track-wrapped call vs a bare AsyncLocalStorage.run vs a plain call, ns per call, measured side by side.
// Run: npx tsx bench/track-overhead.ts
import { AsyncLocalStorage } from "node:async_hooks";
import { currentAnnotations, track, trackContext } from "../src/index.js";

const N = 2_000_000;
const als = new AsyncLocalStorage<object>();
const store = {};

function work(a: number, b: number): number {
  return a + b;
}
const tracked = track({ useCaseName: "bench", userId: "u" }, work);
const trackedResolving = track({ useCaseName: "bench" }, (a: number, b: number) => {
  currentAnnotations();
  return a + b;
});

function measure(label: string, fn: (i: number) => number): { label: string; ns: number } {
  let sink = 0;
  for (let i = 0; i < N / 10; i++) sink += fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / N;
  if (sink === -1) console.log(sink);
  return { label, ns };
}

const rounds: Record<string, number[]> = {};
for (let round = 0; round < 5; round++) {
  for (const r of [
    measure("plain call", (i) => work(i, 1)),
    measure("AsyncLocalStorage.run", (i) => als.run(store, work, i, 1)),
    measure("track(opts, fn)", (i) => tracked(i, 1)),
    measure("track + currentAnnotations() (mints instance id)", (i) => trackedResolving(i, 1)),
    measure("trackContext (validates per call)", (i) => trackContext({ userId: "u" }, () => work(i, 1))),
  ]) {
    rounds[r.label] ??= [];
    rounds[r.label]!.push(r.ns);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(rounds["AsyncLocalStorage.run"]!);
console.log(`\n@track overhead (${N.toLocaleString()} calls × 5 rounds, median), node ${process.version}\n`);
console.log("| variant | ns/call | × AsyncLocalStorage.run |");
console.log("|---|---:|---:|");
for (const [label, xs] of Object.entries(rounds)) {
  console.log(`| ${label} | ${median(xs).toFixed(1)} | ${(median(xs) / base).toFixed(2)} |`);
}
