/**
 * Bytes per call that outlive the young generation (not part of `npm run bench`): the inspector's sampling heap
 * profiler over a loop of non-streaming chat calls (in-process transport, inside an AsyncLocalStorage scope, after
 * a warm-up), counting objects still live at the end or collected only by a mark-compact — i.e. promoted past the
 * scavenges — by allocation site. What a call keeps past the scavenges is what its mark-compacts cost
 * (docs/benchmarks.md "Fewer reactions and no header search per call"). Uses `dist/` of the checkout it is in.
 *
 *   npx tsx bench/promoted.ts bare|costtrail [calls=20000] [top=14]
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import type { default as OpenAIClass } from "openai";
import { cannedFetch } from "./peer-fixtures.js";

const [variant = "costtrail", count = "20000", top = "14"] = process.argv.slice(2);
const calls = Number(count);
if (variant === "costtrail") {
  const { instrument } = (await import(
    new URL("../dist/src/index.js", import.meta.url).href
  )) as typeof import("../src/index.js");
  await instrument({ ledger: false, onEvent: () => {} }).ready;
}
const als = new AsyncLocalStorage<object>();
const OpenAI = createRequire(import.meta.url)("openai") as typeof OpenAIClass;
const client = new OpenAI({ apiKey: "bench", maxRetries: 0, fetch: cannedFetch as never });
const messages = [{ role: "user" as const, content: "Benchmark me briefly." }];
const run = (n: number) =>
  als.run({}, async () => {
    for (let i = 0; i < n; i++) await client.chat.completions.create({ model: "gpt-4o-mini", messages });
  });

await run(5_000);
const session = new Session();
session.connect();
await session.post("HeapProfiler.startSampling", {
  samplingInterval: 4096,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: false,
} as never);
await run(calls);
const { profile } = (await session.post("HeapProfiler.stopSampling")) as { profile: { head: SampleNode } };

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}
const bySite = new Map<string, number>();
const walk = (node: SampleNode, stack: string[]) => {
  const f = node.callFrame;
  const here = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber}`;
  const frames = [here, ...stack].slice(0, 3);
  if (node.selfSize) bySite.set(frames.join(" < "), (bySite.get(frames.join(" < ")) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child, frames);
};
walk(profile.head, []);
let total = 0;
for (const bytes of bySite.values()) total += bytes;
console.log(`${variant}: ${(total / calls).toFixed(0)} bytes per call kept past the scavenges`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(top)))
  console.log(`${(bytes / calls).toFixed(0).padStart(6)}  ${site}`);
