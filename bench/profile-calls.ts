/**
 * A loop of chat calls to profile (not a benchmark): the openai client on the in-process transport
 * (bench/peer-fixtures.ts), bare or instrumented by costtrail (ledger off), non-streaming or streaming.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-calls.ts [costtrail|bare] [chat|stream] [calls]
 *   npx tsx bench/cpuprofile-summary.ts /tmp/prof/<file>.cpuprofile
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { default as OpenAIClass } from "openai";
import { cannedFetch, STREAM_TOOLS } from "./peer-fixtures.js";

const [variant = "costtrail", mode = "chat", count = "20000"] = process.argv.slice(2);
const calls = Number(count);
if (variant === "bare-loaded") await import(new URL("../dist/src/index.js", import.meta.url).href);
if (variant === "costtrail") {
  const dist = new URL("../dist/src/index.js", import.meta.url);
  const { instrument } = (await import(
    existsSync(dist) ? dist.href : "../src/index.js"
  )) as typeof import("../src/index.js");
  await instrument({ ledger: false, onEvent: () => {} }).ready;
}
const OpenAI = createRequire(import.meta.url)("openai") as typeof OpenAIClass;
const client = new OpenAI({ apiKey: "bench", maxRetries: 0, fetch: cannedFetch as never });
const messages = [{ role: "user" as const, content: "Benchmark me briefly." }];
const cpu0 = process.cpuUsage();
const als = new (await import("node:async_hooks")).AsyncLocalStorage<object>();
const inScope = (fn: () => Promise<void>) => (variant === "bare+ALS" ? als.run({}, fn) : fn());
await inScope(async () => {
  for (let i = 0; i < calls; i++) {
    if (mode === "chat") await client.chat.completions.create({ model: "gpt-4o-mini", messages });
    else {
      const stream = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages,
        tools: STREAM_TOOLS,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const _ of stream) {
        // drain
      }
    }
  }
});
const cpu = process.cpuUsage(cpu0);
console.log(`${variant} ${mode}: ${((cpu.user + cpu.system) / calls).toFixed(1)} µs CPU per call`);
