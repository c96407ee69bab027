// Instrumented vs bare OpenAI client, same mock server (its own process), same run: wall-time ratio and
// added client CPU µs per call, non-streaming and streaming. Run: npx tsx bench/provider-overhead.ts [calls]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import OpenAI from "openai";
import { instrument } from "../src/index.js";

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
console.log(
  `\nProvider overhead: openai chat.completions, ${CALLS} calls each, concurrency ${CONCURRENCY}, node ${process.version}\n`,
);
console.log("| mode | calls | bare ms/call | instrumented ms/call | wall ratio | added client CPU µs/call |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const row of rows) console.log(row);
