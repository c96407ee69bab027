// Instrumented vs bare OpenAI client, same mock server (its own process), same run: wall-time ratio and
// added client CPU µs per call, non-streaming and streaming. Run: npx tsx bench/provider-overhead.ts [calls]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import OpenAI from "openai";

// The built package when there is one (what users run); the sources otherwise (tsx adds `__name` wrappers).
const dist = new URL("../dist/src/index.js", import.meta.url);
const build = existsSync(dist) ? "dist" : "src (tsx)";
const { instrument } = (await import(
  existsSync(dist) ? dist.href : "../src/index.js"
)) as typeof import("../src/index.js");

const CALLS = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = 8;
const BLOCK = 1_000; // alternate bare / instrumented blocks so drift hits both alike

const server = spawn(
  process.execPath,
  ["--import", "tsx", new URL("./mock-server-process.ts", import.meta.url).pathname],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
process.on("exit", () => server.kill("SIGTERM")); // never leave the mock running, even on failure
const [line] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
const { openaiBaseURL } = JSON.parse(line) as { openaiBaseURL: string };
const client = new OpenAI({ baseURL: openaiBaseURL, apiKey: "bench", maxRetries: 0 });
const messages = [{ role: "user" as const, content: "Benchmark me briefly." }];

async function block(stream: boolean, n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < n) {
      if (stream) {
        const s = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true });
        for await (const _ of s) {
          // drain
        }
      } else await client.chat.completions.create({ model: "gpt-4o-mini", messages });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

interface Totals {
  wallMs: number;
  cpuUs: number;
  calls: number;
}

async function timed(fn: () => Promise<void>, n: number, into: Totals): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  into.wallMs += performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  into.cpuUs += cpu.user + cpu.system;
  into.calls += n;
}

const rows: string[] = [];
for (const stream of [false, true]) {
  const bare: Totals = { wallMs: 0, cpuUs: 0, calls: 0 };
  const inst: Totals = { wallMs: 0, cpuUs: 0, calls: 0 };
  await block(stream, 500); // warm-up both paths
  let events = 0;
  for (let done = 0; done < CALLS; done += BLOCK) {
    await timed(() => block(stream, BLOCK), BLOCK, bare);
    const handle = instrument({ ledger: false, globalInstrumentation: false, onEvent: () => void events++ });
    await handle.ready; // run under tsx: the ESM copy of the SDK is patched a tick later
    await timed(() => block(stream, BLOCK), BLOCK, inst);
    await handle.shutdown();
  }
  if (events !== inst.calls) throw new Error(`expected ${inst.calls} events, got ${events}`);
  rows.push(
    `| ${stream ? "streaming" : "non-streaming"} | ${inst.calls} | ${(bare.wallMs / bare.calls).toFixed(3)} | ${(inst.wallMs / inst.calls).toFixed(3)} | ${(inst.wallMs / bare.wallMs).toFixed(3)} | ${((inst.cpuUs - bare.cpuUs) / inst.calls).toFixed(1)} |`,
  );
}
server.kill("SIGTERM");

// B. The same client with an in-process fetch returning a canned response: no network and no server, so
// bare and instrumented differ only by costtrail's own work. Medians of rounds; AsyncLocalStorage is active
// in the "bare" rounds after the first instrumented one (on Node 20 that alone costs every promise a hook).
const canned = JSON.stringify({
  id: "c",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini-2024-07-18",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "hi", refusal: null },
      finish_reason: "stop",
      logprobs: null,
    },
  ],
  usage: {
    prompt_tokens: 10,
    completion_tokens: 2,
    total_tokens: 12,
    prompt_tokens_details: { cached_tokens: 0 },
  },
});
const stubbed = new OpenAI({
  apiKey: "bench",
  maxRetries: 0,
  fetch: (async () => new Response(canned, { headers: { "content-type": "application/json" } })) as never,
});
const STUB_CALLS = 20_000;
async function cpuPerCall(): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < STUB_CALLS; i++)
    await stubbed.chat.completions.create({ model: "gpt-4o-mini", messages });
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / STUB_CALLS;
}
await cpuPerCall(); // warm-up
const firstBare = await cpuPerCall();
const bareRounds: number[] = [];
const instRounds: number[] = [];
for (let round = 0; round < 7; round++) {
  const handle = instrument({ ledger: false, globalInstrumentation: false });
  await handle.ready;
  instRounds.push(await cpuPerCall());
  await handle.shutdown();
  bareRounds.push(await cpuPerCall());
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\nProvider overhead (${build}): openai chat.completions, ${CALLS} calls each, concurrency ${CONCURRENCY}, node ${process.version}\n`,
);
console.log("| mode | calls | bare ms/call | instrumented ms/call | wall ratio | added client CPU µs/call |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const row of rows) console.log(row);
console.log(`\nIn-process transport, ${STUB_CALLS} calls × 7 rounds, client CPU µs per call (median):\n`);
console.log(
  "| bare, no AsyncLocalStorage yet | bare, AsyncLocalStorage active | instrumented | added by costtrail's code | added incl. enabling AsyncLocalStorage |",
);
console.log("|---:|---:|---:|---:|---:|");
console.log(
  `| ${firstBare.toFixed(1)} | ${median(bareRounds).toFixed(1)} | ${median(instRounds).toFixed(1)} | ${(median(instRounds) - median(bareRounds)).toFixed(1)} | ${(median(instRounds) - firstBare).toFixed(1)} |`,
);
