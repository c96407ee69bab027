/**
 * Calls each inside costtrail's own `trackContext` in a process with no other AsyncLocalStorage (an app that
 * uses costtrail's scopes and nothing else), CPU per call, median of rounds; not part of `npm run bench`. How
 * many AsyncLocalStorage instances a process has enabled is per process, so compare builds by alternating
 * processes (docs/benchmarks.md "One AsyncLocalStorage"):
 *
 *   for i in 1 2 3; do for d in /tmp/before /tmp/after; do npx tsx bench/scope-calls.ts $d chat 3000 9; done; done
 */
import { createRequire } from "node:module";
import type { default as OpenAIClass } from "openai";
import { benchCall, cannedFetch } from "./peer-fixtures.js";

const [dir = new URL("..", import.meta.url).pathname, mode = "chat", count = "2000", roundsArg = "9"] =
  process.argv.slice(2);
const costtrail = (await import(
  new URL(`file://${dir}/dist/src/index.js`).href
)) as typeof import("../src/index.js");
await costtrail.instrument({ ledger: false, onEvent: () => {} }).ready;
const OpenAI = createRequire(import.meta.url)("openai") as typeof OpenAIClass;
const client = new OpenAI({ apiKey: "bench", maxRetries: 0, fetch: cannedFetch as never });
async function one(): Promise<void> {
  await benchCall(client, mode === "stream");
}
const n = Number(count);
const xs: number[] = [];
for (let r = 0; r < Number(roundsArg) + 2; r++) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await costtrail.trackContext({ userId: "u" }, one);
  const c = process.cpuUsage(c0);
  if (r >= 2) xs.push((c.user + c.system) / n);
}
xs.sort((a, b) => a - b);
console.log(
  `${dir} ${mode}: ${xs[Math.floor(xs.length / 2)]!.toFixed(1)} µs CPU per call inside trackContext (min ${xs[0]!.toFixed(1)})`,
);
