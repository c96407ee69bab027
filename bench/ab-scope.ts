/**
 * The goals' scope-entry loop (bench/goals.ts, "scope entry") for several builds in one process, not part of
 * `npm run bench`: `AsyncLocalStorage.run` beside `track(opts, fn)` and `trackContext` of each build, ns per
 * entry, median of 6 rounds, and the ratio to `AsyncLocalStorage.run`.
 *
 *   npx tsx bench/ab-scope.ts <dir with a built dist/>...
 */
import { AsyncLocalStorage } from "node:async_hooks";

const dirs = process.argv.slice(2);
if (dirs.length === 0) throw new Error("usage: ab-scope.ts <dir>...");
type Costtrail = typeof import("../src/index.js");
const builds = await Promise.all(
  dirs.map(async (d) => (await import(new URL(`file://${d}/dist/src/index.js`).href)) as Costtrail),
);
const als = new AsyncLocalStorage<object>();
const store = {};
const work = (a: number, b: number) => a + b;
const variants: [string, (i: number) => number][] = [
  ["AsyncLocalStorage.run", (i) => als.run(store, work, i, 1)],
];
builds.forEach((costtrail, k) => {
  const tracked = costtrail.track({ useCaseName: "bench", userId: "u" }, work);
  variants.push([`track(opts, fn) ${dirs[k]}`, (i) => tracked(i, 1)]);
  variants.push([
    `trackContext ${dirs[k]}`,
    (i) => costtrail.trackContext({ userId: "u" }, () => work(i, 1)),
  ]);
});
const N = 300_000;
const ns = new Map<string, number[]>(variants.map(([label]) => [label, []]));
for (let round = 0; round < 8; round++) {
  for (const [label, fn] of variants) {
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) sink += fn(i);
    if (round > 1) ns.get(label)!.push(Number(process.hrtime.bigint() - t0) / N);
    if (sink === -1) console.log(sink);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(ns.get("AsyncLocalStorage.run")!);
for (const [label] of variants) {
  const x = median(ns.get(label)!);
  console.log(`${label.padEnd(48)} ${x.toFixed(1)} ns  ${(x / base).toFixed(2)}×`);
}
