/**
 * Where an instrumented stream's extra CPU goes (not part of `npm run bench`): alternating blocks of 200-chunk
 * chat streams (in-process transport, inside an AsyncLocalStorage scope), bare and instrumented by one costtrail
 * build, as bench/ab-builds.ts pairs them; the inspector's sampling profiler runs over each block, and the samples
 * are summed per function and per owner (costtrail's `dist/`, the openai package, Node's internals, the garbage
 * collector…), µs per stream, bare → instrumented. Sampled time is stretched by the profiler; compare builds by
 * their shares in runs taken in turn (docs/benchmarks.md "Streaming per chunk (issue 19, session 6)").
 *
 *   npx tsx bench/paired-profile.ts <dir with a built dist/> [rounds=12] [block=40]
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import type { default as OpenAIClass } from "openai";
import { benchCall, cannedFetch } from "./peer-fixtures.js";

const [root = new URL("..", import.meta.url).pathname, roundsArg = "12", blockArg = "40"] =
  process.argv.slice(2);
const costtrail = (await import(
  new URL(`file://${root}/dist/src/index.js`).href
)) as typeof import("../src/index.js");
const OpenAI = createRequire(import.meta.url)("openai") as typeof OpenAIClass;
const client = new OpenAI({ apiKey: "bench", maxRetries: 0, fetch: cannedFetch as never });
const als = new AsyncLocalStorage<object>();
const calls = (n: number) =>
  als.run({}, async () => {
    for (let i = 0; i < n; i++) {
      await benchCall(client, true);
    }
  });

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
type Kind = "bare" | "instrumented";
const sums: Record<Kind, Map<string, number>> = { bare: new Map(), instrumented: new Map() };
const cpu: Record<Kind, number> = { bare: 0, instrumented: 0 };
const owner = (url: string) => {
  if (url.includes("node_modules/")) return url.split("node_modules/")[1]!.split("/")[0]!;
  if (url.includes("/dist/")) return "costtrail";
  if (url.startsWith("node:")) return "node";
  return url ? "other" : "native";
};
async function block(kind: Kind, n: number, record: boolean): Promise<void> {
  const handle =
    kind === "instrumented" ? costtrail.instrument({ ledger: false, onEvent: () => {} }) : undefined;
  await handle?.ready;
  if (record) await session.post("Profiler.start");
  const c0 = process.cpuUsage();
  await calls(n);
  const c = process.cpuUsage(c0);
  const profile = record ? (await session.post("Profiler.stop")).profile : undefined;
  await handle?.shutdown();
  if (!profile) return;
  cpu[kind] += c.user + c.system;
  const byId = new Map((profile.nodes as ProfileNode[]).map((node) => [node.id, node]));
  profile.samples!.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const key = `${frame.functionName || "(anonymous)"} [${owner(frame.url)}]`;
    sums[kind].set(key, (sums[kind].get(key) ?? 0) + (profile.timeDeltas![i] ?? 0));
  });
}
const rounds = Number(roundsArg);
const n = Number(blockArg);
for (let i = 0; i < 3; i++) {
  await block("bare", n, false);
  await block("instrumented", n, false);
}
for (let r = 0; r < rounds; r++) {
  await block("bare", n, true);
  await block("instrumented", n, true);
}
const streams = rounds * n;
const keys = new Set([...sums.bare.keys(), ...sums.instrumented.keys()]);
const rows = [...keys].map((key) => ({
  key,
  bare: (sums.bare.get(key) ?? 0) / streams,
  instrumented: (sums.instrumented.get(key) ?? 0) / streams,
}));
const total = (kind: Kind) => rows.reduce((sum, row) => sum + row[kind], 0);
console.log(
  `${root}: sampled µs per stream bare ${total("bare").toFixed(0)} -> instrumented ${total("instrumented").toFixed(0)}; ` +
    `CPU ${(cpu.bare / streams).toFixed(0)} -> ${(cpu.instrumented / streams).toFixed(0)}`,
);
const owners = new Map<string, { bare: number; instrumented: number }>();
for (const row of rows) {
  const name = row.key.includes("(garbage collector)")
    ? "garbage collector"
    : row.key.slice(row.key.lastIndexOf("[") + 1, -1);
  const sum = owners.get(name) ?? { bare: 0, instrumented: 0 };
  sum.bare += row.bare;
  sum.instrumented += row.instrumented;
  owners.set(name, sum);
}
for (const [name, sum] of [...owners].sort((a, b) => b[1].instrumented - a[1].instrumented))
  console.log(
    `  ${name.padEnd(20)} ${sum.bare.toFixed(0).padStart(7)} -> ${sum.instrumented.toFixed(0).padStart(7)}`,
  );
rows.sort((a, b) => b.instrumented - b.bare - (a.instrumented - a.bare));
console.log("most added (µs per stream, bare -> instrumented):");
for (const row of rows.slice(0, 25))
  console.log(`  ${(row.instrumented - row.bare).toFixed(1).padStart(7)}  ${row.key}`);
