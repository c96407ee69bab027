/**
 * costtrail's APIPromise hooks of several builds in one process (not part of `npm run bench`): each build's
 * `observeApiPromise` on a real `openai` APIPromise (its class as the build's `instrument()` leaves it), whose
 * response is already there and whose parse answers a canned chat completion at once; the call started and
 * finished as the chat adapter does (`startCall`, `onResult` → `reportUsage`, `finishCall`), awaited by the
 * caller, inside an AsyncLocalStorage scope. No SDK request work, no transport: what is left is the hooks, the
 * call's lifecycle and the promises and reactions they add. Alternating rounds; CPU ns per call, median and min,
 * and each build's difference from the first, paired by round (median).
 *
 *   npx tsx bench/ab-api-promise.ts <dir with a built dist/>...
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";

const dirs = process.argv.slice(2);
if (dirs.length === 0) throw new Error("usage: ab-api-promise.ts <dir>...");
type Costtrail = typeof import("../src/index.js");
type Calls = typeof import("../src/calls/index.js");
type Hooks = typeof import("../src/providers/toolkit/api-promise.js");
const builds = await Promise.all(
  dirs.map(async (d) => ({
    dir: d,
    costtrail: (await import(new URL(`file://${d}/dist/src/index.js`).href)) as Costtrail,
    calls: (await import(new URL(`file://${d}/dist/src/calls/index.js`).href)) as Calls,
    hooks: (await import(new URL(`file://${d}/dist/src/providers/toolkit/api-promise.js`).href)) as Hooks,
  })),
);
const { OpenAI, APIPromise } = createRequire(import.meta.url)("openai") as any;
const client = new OpenAI({ apiKey: "bench", maxRetries: 0 });
const N = Number(process.env.CALLS ?? 20_000);
const rounds = Number(process.env.ROUNDS ?? 12);
const ns = new Map<string, number[]>(dirs.map((d) => [d, []]));
let recorded = 0;
const response = { status: 200, headers: new Headers() };
const completion = {
  model: "gpt-4o-mini-2024-07-18",
  usage: { prompt_tokens: 1200, completion_tokens: 345, total_tokens: 1545 },
};
const observer = {
  onResult(result: any, call: any) {
    call.responseModel = result.model;
    call.reportUsage({
      inputTokens: result.usage.prompt_tokens,
      outputTokens: result.usage.completion_tokens,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
  },
  onItem: () => "meta" as const,
};
const als = new AsyncLocalStorage<object>();
const tick = () => {};

async function block(b: (typeof builds)[number]): Promise<number> {
  const handle = b.costtrail.instrument({ ledger: false, onEvent: () => void recorded++ });
  await handle.ready;
  const { startCall } = b.calls;
  const { observeApiPromise } = b.hooks;
  const cpu = await als.run({}, async () => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const slot: any = {
        table: undefined,
        sdkError: undefined,
        batchRoutes: [],
        batch: undefined,
        call: undefined,
        observer: undefined,
        resolved: false,
        scanHeaders: true,
      };
      const props = { response, options: { method: "post", path: "/chat/completions" }, requestLogID: "log" };
      const promise = new APIPromise(
        client,
        // A few ticks later, as a response arrives after the caller awaits (then it is parsed, not copied).
        Promise.resolve()
          .then(tick)
          .then(tick)
          .then(() => props),
        async (_client: unknown, _props: unknown) => completion,
      );
      observeApiPromise(promise, slot);
      slot.call = startCall({
        provider: "openai",
        operation: "chat",
        requestModel: "gpt-4o-mini",
        stream: false,
        headers: [undefined, undefined],
        estimateInputTokens: () => 10,
      });
      slot.observer = observer;
      slot.call!.attempts++;
      await promise;
    }
    const d = process.cpuUsage(t0);
    return ((d.user + d.system) * 1000) / N;
  });
  await handle.shutdown();
  return cpu;
}
/** Per round, each build minus the first: the other processes on a shared machine move both alike. */
const diffs = new Map<string, number[]>(dirs.map((d) => [d, []]));
for (let round = 0; round < rounds; round++) {
  const here = new Map<string, number>();
  for (const b of round % 2 ? [...builds].reverse() : builds) here.set(b.dir, await block(b));
  if (round < 2) continue;
  for (const d of dirs) {
    ns.get(d)!.push(here.get(d)!);
    diffs.get(d)!.push(here.get(d)! - here.get(dirs[0]!)!);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const d of dirs) {
  const xs = ns.get(d)!;
  console.log(
    `${d.padEnd(24)} median ${median(xs).toFixed(0)} ns  min ${Math.min(...xs).toFixed(0)} ns CPU per call` +
      (d === dirs[0]
        ? ""
        : `; minus the first build, paired by round: median ${median(diffs.get(d)!).toFixed(0)} ns`),
  );
}
if (recorded !== N * rounds * dirs.length) throw new Error(`recorded ${recorded} events`);
