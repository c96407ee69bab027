/**
 * The per-call pricing step of several builds in one process, not part of `npm run bench`: each build's
 * `Pricer#price` on the goals' chat call (openai, gpt-4o-mini, cached input), alternating rounds, ns per call,
 * median of rounds.
 *
 *   npx tsx bench/ab-price.ts <dir with a built dist/>...
 */
const dirs = process.argv.slice(2);
if (dirs.length === 0) throw new Error("usage: ab-price.ts <dir>...");
type Pricing = typeof import("../src/pricing/index.js");
const builds = await Promise.all(
  dirs.map(async (d) => (await import(new URL(`file://${d}/dist/src/pricing/index.js`).href)) as Pricing),
);
const logger = { warn() {}, info() {}, debug() {}, error() {} };
const at = new Date();
const usage = {
  inputTokens: 1200,
  outputTokens: 345,
  cacheReadTokens: 256,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};
const variants = builds.map((b, k) => {
  const pricer = new b.Pricer({ logger } as never);
  const input = {
    provider: "openai",
    requestModel: "gpt-4o-mini",
    responseModel: "gpt-4o-mini-2024-07-18",
    usage,
    ts: at,
  };
  return [dirs[k]!, () => pricer.price(input).costNanos ?? 0] as const;
});
const N = 200_000;
const ns = new Map<string, number[]>(variants.map(([label]) => [label, []]));
const rounds = Number(process.env.ROUNDS ?? 12);
for (let round = 0; round < rounds; round++) {
  for (const [label, fn] of round % 2 ? [...variants].reverse() : variants) {
    let sink = 0;
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) sink += fn();
    const d = process.cpuUsage(t0);
    if (round > 1) ns.get(label)!.push(((d.user + d.system) * 1000) / N);
    if (sink === -1) console.log(sink);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [label] of variants) {
  const xs = ns.get(label)!;
  console.log(
    `${label.padEnd(24)} median ${median(xs).toFixed(0)} ns  min ${Math.min(...xs).toFixed(0)} ns CPU per price`,
  );
}
