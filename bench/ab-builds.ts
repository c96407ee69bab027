/**
 * A/B of costtrail builds in one process (not part of `npm run bench`): rounds of a bare+ALS block, then a block
 * instrumented by each build in turn (instrument() / shutdown() around it), as bench/goals.ts pairs its rounds;
 * prints each build's own CPU per call (the median and min over rounds of instrumented − bare). A build is a
 * directory with a built `dist/` (e.g. `git archive <commit> | tar -x -C /tmp/old`, a node_modules symlink,
 * `npm run build`), so before/after figures of a change come from one process on one machine state.
 *
 *   npx tsx bench/ab-builds.ts chat|stream [--rounds 15] [--block 1000] [--per-event] <dir>...
 *
 * Beside the median of the paired differences: the first quartile of the instrumented blocks minus that of the
 * bare blocks (less moved by other processes on a shared machine).
 *
 * --per-event: the canned stream arrives one SSE event per read (as a connection may deliver it) instead of one
 * read for the whole body (bench/peer-fixtures.ts), so the per-read cost of observing a body is in the figure.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { default as OpenAIClass } from "openai";
import { takeNumberOption } from "./number-option.js";
import { benchCall, cannedFetch, STREAM_CHUNKS } from "./peer-fixtures.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => takeNumberOption(argv, name, fallback);
const perEvent = argv.includes("--per-event");
const rounds = option("--rounds", 15);
const mode = argv[0] === "stream" ? "stream" : "chat";
const block = option("--block", mode === "stream" ? 40 : 1000);
const roots = argv
  .slice(1)
  .filter((a) => !a.startsWith("--"))
  .map((r) => resolve(r));
if (roots.length === 0)
  throw new Error("usage: ab-builds.ts chat|stream [--rounds N] [--block N] [--per-event] <dir>...");

type Costtrail = typeof import("../src/index.js");
const builds = await Promise.all(
  roots.map(async (root) => ({
    root,
    costtrail: (await import(pathToFileURL(join(root, "dist/src/index.js")).href)) as Costtrail,
  })),
);

const body = await (await cannedFetch("", { body: '"stream":true' })).text();
const events = body
  .split("\n\n")
  .filter(Boolean)
  .map((e) => new TextEncoder().encode(`${e}\n\n`));
async function perEventFetch(url: unknown, init?: { body?: unknown }): Promise<Response> {
  if (!(typeof init?.body === "string" && init.body.includes('"stream":true'))) return cannedFetch(url, init);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const e of events) controller.enqueue(e);
      controller.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}

const OpenAI = createRequire(import.meta.url)("openai") as typeof OpenAIClass;
const client = new OpenAI({
  apiKey: "bench",
  maxRetries: 0,
  fetch: (perEvent ? perEventFetch : cannedFetch) as never,
});
async function calls(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await benchCall(client, mode === "stream");
  }
}
const als = new AsyncLocalStorage<object>();
async function cpuPerCall(n: number): Promise<number> {
  const c0 = process.cpuUsage();
  await als.run({}, () => calls(n));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}
let recorded = 0;
async function instrumented(costtrail: Costtrail, n: number): Promise<number> {
  const handle = costtrail.instrument({ ledger: false, onEvent: () => void recorded++ });
  await handle.ready;
  try {
    return await cpuPerCall(n);
  } finally {
    await handle.shutdown();
  }
}

for (let i = 0; i < 3; i++) {
  await cpuPerCall(block);
  for (const b of builds) await instrumented(b.costtrail, block);
}
recorded = 0;
const own = builds.map(() => [] as number[]);
const runs = builds.map(() => [] as number[]);
const bares: number[] = [];
for (let r = 0; r < rounds; r++) {
  const bare = await cpuPerCall(block);
  bares.push(bare);
  for (let k = 0; k < builds.length; k++) {
    const run = await instrumented(builds[k]!.costtrail, block);
    runs[k]!.push(run);
    own[k]!.push(run - bare);
  }
}
if (recorded !== rounds * block * builds.length) throw new Error(`recorded ${recorded} events`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** A low quantile: another process on the machine only ever adds CPU time, so the quietest blocks agree best. */
const quartile = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 4)]!;
console.log(
  `${mode}${perEvent ? " (one read per event)" : ""}, ${rounds} rounds × ${block} calls: bare+ALS ${median(bares).toFixed(1)} µs/call`,
);
for (let k = 0; k < builds.length; k++) {
  const m = median(own[k]!);
  const chunk = mode === "stream" ? `, ${(m / STREAM_CHUNKS).toFixed(2)} µs/chunk all in` : "";
  const low = quartile(runs[k]!) - quartile(bares);
  console.log(
    `  ${builds[k]!.root}: own ${m.toFixed(1)} µs/call (min ${Math.min(...own[k]!).toFixed(1)})${chunk}; ` +
      `first quartiles, instrumented − bare: ${low.toFixed(1)} µs/call` +
      (mode === "stream" ? ` (${(low / STREAM_CHUNKS).toFixed(2)} µs/chunk)` : ""),
  );
}
