/**
 * costtrail's own per-call lifecycle of several builds in one process, without the SDK (not part of `npm run
 * bench`): `startCall` → `reportUsage` → `finishCall` as the OpenAI chat adapter drives them (annotations
 * resolved inside a `trackContext` scope, the event built, priced and emitted to `onEvent`), each build
 * instrumented in turn (`instrument({ ledger: false })` / `shutdown()` around its block), alternating rounds.
 * CPU ns per call, median and min of rounds.
 *
 *   npx tsx bench/ab-lifecycle.ts <dir with a built dist/>...
 */
const dirs = process.argv.slice(2);
if (dirs.length === 0) throw new Error("usage: ab-lifecycle.ts <dir>...");
type Costtrail = typeof import("../src/index.js");
type Calls = typeof import("../src/calls/index.js");
const builds = await Promise.all(
  dirs.map(async (d) => ({
    dir: d,
    costtrail: (await import(new URL(`file://${d}/dist/src/index.js`).href)) as Costtrail,
    calls: (await import(new URL(`file://${d}/dist/src/calls/index.js`).href)) as Calls,
  })),
);
const N = Number(process.env.CALLS ?? 20_000);
const rounds = Number(process.env.ROUNDS ?? 12);
const ns = new Map<string, number[]>(dirs.map((d) => [d, []]));
let recorded = 0;
const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] };
async function block(b: (typeof builds)[number]): Promise<number> {
  const handle = b.costtrail.instrument({ ledger: false, onEvent: () => void recorded++ });
  const { startCall, finishCall } = b.calls;
  let cpu = 0;
  b.costtrail.trackContext({ userId: "u1" }, () => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const call = startCall({
        provider: "openai",
        operation: "chat",
        requestModel: body.model,
        stream: false,
        headers: [undefined, undefined],
        estimateInputTokens: () => 10,
      })!;
      call.attempts++;
      call.httpStatus = 200;
      call.responseModel = "gpt-4o-mini-2024-07-18";
      call.reportUsage({
        inputTokens: 1200,
        outputTokens: 345,
        cacheReadTokens: 256,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
      });
      finishCall(call, "ok");
    }
    const d = process.cpuUsage(t0);
    cpu = ((d.user + d.system) * 1000) / N;
  });
  await handle.shutdown();
  return cpu;
}
for (let round = 0; round < rounds; round++) {
  for (const b of round % 2 ? [...builds].reverse() : builds) {
    const x = await block(b);
    if (round > 1) ns.get(b.dir)!.push(x);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const d of dirs) {
  const xs = ns.get(d)!;
  console.log(
    `${d.padEnd(24)} median ${median(xs).toFixed(0)} ns  min ${Math.min(...xs).toFixed(0)} ns CPU per call`,
  );
}
if (recorded === 0) console.log("no events");
