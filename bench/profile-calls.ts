/**
 * A loop of chat calls to profile (not a benchmark): the openai client on the in-process transport
 * (bench/peer-fixtures.ts), bare or instrumented by costtrail (ledger off), non-streaming or streaming.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-calls.ts [costtrail|bare] [chat|stream] [calls]
 *   npx tsx bench/cpuprofile-summary.ts /tmp/prof/<file>.cpuprofile
 *
 * `--loopback`: the client talks HTTP to the mock provider in its own process (bench/mock-server-process.ts), as the
 * goals' wall-time rows do, instead of the in-process transport.
 *
 * Steady state only (no start-up, no JIT warm-up in the profile): `--steady <out.cpuprofile>` runs 8,000 calls
 * (400 streams) first, then profiles the `calls` with the inspector's sampling profiler (100 µs), e.g.
 *   npx tsx bench/profile-calls.ts costtrail chat 20000 --steady /tmp/ct.cpuprofile
 *   npx tsx bench/cpuprofile-summary.ts /tmp/ct.cpuprofile 30 dist/ --owner 20000
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import type { default as OpenAIClass } from "openai";
import { benchCall, cannedFetch } from "./peer-fixtures.js";

const args = process.argv.slice(2);
const loopbackAt = args.indexOf("--loopback");
if (loopbackAt >= 0) args.splice(loopbackAt, 1);
const steadyAt = args.indexOf("--steady");
const steadyOut = steadyAt >= 0 ? args.splice(steadyAt, 2)[1] : undefined;
const [variant = "costtrail", mode = "chat", count = "20000"] = args;
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
const client = new OpenAI({
  apiKey: "bench",
  maxRetries: 0,
  ...(loopbackAt >= 0 ? { baseURL: await startMockServer() } : { fetch: cannedFetch as never }),
});
const als = new (await import("node:async_hooks")).AsyncLocalStorage<object>();
const inScope = (fn: () => Promise<void>) => (variant === "bare+ALS" ? als.run({}, fn) : fn());
const session = steadyOut ? new (await import("node:inspector/promises")).Session() : undefined;
if (session) {
  await inScope(() => run(mode === "chat" ? 8_000 : 400));
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
}
const cpu0 = process.cpuUsage();
await inScope(() => run(calls));
const cpu = process.cpuUsage(cpu0);
if (session && steadyOut) {
  const { profile } = await session.post("Profiler.stop");
  (await import("node:fs")).writeFileSync(steadyOut, JSON.stringify(profile));
}
console.log(`${variant} ${mode}: ${((cpu.user + cpu.system) / calls).toFixed(1)} µs CPU per call`);

/** The loopback mock in its own process; its OpenAI base URL. Killed when this process exits. */
async function startMockServer(): Promise<string> {
  const server = spawn(
    process.execPath,
    ["--import", "tsx", new URL("./mock-server-process.ts", import.meta.url).pathname],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  process.on("exit", () => server.kill("SIGTERM"));
  const [line] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
  server.stdout!.resume();
  return (JSON.parse(line) as { openaiBaseURL: string }).openaiBaseURL;
}

async function run(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await benchCall(client, mode === "stream");
  }
}
process.exit(0);
