/**
 * costtrail next to its peers (not a test): the bare `openai` client, the bare client inside an active
 * AsyncLocalStorage scope, costtrail (ledger off / SQLite / SQLite + 10 limits), @traceloop/instrumentation-openai,
 * @opentelemetry/instrumentation-openai and @langfuse/openai, each in a child process of its own (bench/peer-variant.ts;
 * instrumentations patch globally), non-streaming and 200-chunk streaming chat calls, over two transports:
 *   - loopback: the mock provider (src/testing.ts) in a process of its own, so its CPU is not counted;
 *   - in-process: a `fetch` returning a canned response, no socket: only client-side work, far less noise.
 * Rounds alternate the variants (rotating who goes first); figures are per call, min and median over rounds,
 * each round compared with the bare client's block of the same round.
 *
 *   npx tsx bench/peers.ts [--quick] [--json out.json]
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  type Mode,
  type RunRequest,
  type RunResult,
  STREAM_CHUNKS,
  type Transport,
  VARIANTS,
  type Variant,
} from "./peer-fixtures.js";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const jsonIndex = argv.indexOf("--json");
const JSON_OUT = jsonIndex >= 0 ? argv[jsonIndex + 1] : undefined;
/** `--only loopback` or `--only in-process`: one transport (for development). */
const onlyIndex = argv.indexOf("--only");
const ONLY = onlyIndex >= 0 ? (argv[onlyIndex + 1] as Transport) : undefined;

interface Plan {
  transport: Transport;
  mode: Mode;
  calls: number;
  rounds: number;
  /** Unmeasured calls first, per variant: V8 is still compiling the SDK's code for the first thousands. */
  warm: number;
}
// Many short rounds rather than a few long ones: on a shared machine a burst of someone else's work then spoils
// one short block of one variant, which the min and the median over rounds both shrug off.
const PLANS: Plan[] = [
  { transport: "loopback", mode: "chat", calls: 100, rounds: 5, warm: 1_500 },
  { transport: "loopback", mode: "stream", calls: 15, rounds: 5, warm: 100 },
  { transport: "in-process", mode: "chat", calls: 500, rounds: 5, warm: 5_000 },
  { transport: "in-process", mode: "stream", calls: 40, rounds: 5, warm: 200 },
]
  .map((p) => (QUICK ? (p as Plan) : ({ ...p, calls: p.calls * 2, rounds: 11 } as Plan)))
  .filter((p) => !ONLY || p.transport === ONLY);

/** min and median over rounds. */
export interface Spread {
  min: number;
  median: number;
}
export interface PeerRow {
  variant: Variant;
  /** Wall time per call, µs. */
  wallUs: Spread;
  /** Process CPU per call, µs. */
  cpuUs: Spread;
  /** min ÷ bare's min, median ÷ bare's median. */
  wallVsBare: Spread;
  /** CPU per call minus bare's (min − min, median − median), µs. */
  addedOverBare: Spread;
  /** The same over bare+ALS: an instrumentation's own work, the AsyncLocalStorage scope set aside. */
  addedOverAls: Spread;
  /** Events or spans the instrumentation produced per call (a check that it really instrumented). */
  recordedPerCall: number;
}
export interface PeerTable {
  transport: Transport;
  mode: Mode;
  calls: number;
  rounds: number;
  rows: PeerRow[];
}

const OPENAI_VERSION = (
  JSON.parse(readFileSync(new URL("../node_modules/openai/package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const min = (xs: number[]) => Math.min(...xs);

const STARTED = performance.now();
const dir = mkdtempSync(join(tmpdir(), "costtrail-bench-peers-"));
const children: ChildProcess[] = [];
const server = spawn(
  process.execPath,
  ["--import", "tsx", new URL("./mock-server-process.ts", import.meta.url).pathname],
  { stdio: ["ignore", "pipe", "inherit"] },
);
// Never leave a child running, even on failure.
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  server.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

const [line] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
const { openaiBaseURL } = JSON.parse(line) as { openaiBaseURL: string };

/** Starts the variant's process and waits until it is instrumented and ready. */
async function startVariant(variant: Variant): Promise<ChildProcess> {
  const child = fork(new URL("./peer-variant.ts", import.meta.url).pathname, [variant, openaiBaseURL, dir], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.push(child);
  child.on("exit", (code) => {
    if (code) {
      console.error(`peer variant "${variant}" exited with ${code}`);
      process.exit(1);
    }
  });
  await once(child, "message");
  return child;
}

function run(child: ChildProcess, request: RunRequest): Promise<RunResult> {
  const answer = once(child, "message") as Promise<[RunResult]>;
  child.send(request);
  return answer.then(([result]) => result);
}

const processes = new Map<Variant, ChildProcess>(
  await Promise.all(VARIANTS.map(async (v) => [v, await startVariant(v)] as const)),
);

const tables: PeerTable[] = [];
for (const plan of PLANS) {
  const request = { transport: plan.transport, mode: plan.mode };
  // Warm-up: JIT, connection pools, the ledger's first transactions.
  for (const variant of VARIANTS) await run(processes.get(variant)!, { ...request, calls: plan.warm });
  const perRound: Map<Variant, RunResult>[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    const results = new Map<Variant, RunResult>();
    for (let k = 0; k < VARIANTS.length; k++) {
      const variant = VARIANTS[(k + round) % VARIANTS.length]!;
      results.set(variant, await run(processes.get(variant)!, { ...request, calls: plan.calls }));
    }
    perRound.push(results);
  }
  const spread = (variant: Variant, of: (r: RunResult) => number): Spread => {
    const xs = perRound.map((results) => of(results.get(variant)!) / plan.calls);
    return { min: min(xs), median: median(xs) };
  };
  const wall = (v: Variant) => spread(v, (r) => r.wallMs * 1e3);
  const cpu = (v: Variant) => spread(v, (r) => r.cpuUs);
  const ratio = (x: Spread, y: Spread) => ({ min: x.min / y.min, median: x.median / y.median });
  const minus = (x: Spread, y: Spread) => ({ min: x.min - y.min, median: x.median - y.median });
  tables.push({
    ...plan,
    rows: VARIANTS.map((variant) => ({
      variant,
      wallUs: wall(variant),
      cpuUs: cpu(variant),
      wallVsBare: ratio(wall(variant), wall("bare")),
      addedOverBare: minus(cpu(variant), cpu("bare")),
      addedOverAls: minus(cpu(variant), cpu("bare+ALS")),
      recordedPerCall: median(perRound.map((results) => results.get(variant)!.recorded)) / plan.calls,
    })),
  });
}
for (const child of children) child.kill("SIGTERM");

const f1 = (n: number) => n.toFixed(1);
const f3 = (n: number) => n.toFixed(3);
console.log(
  `\nPeers: openai ${OPENAI_VERSION}, ` +
    `sequential calls, node ${process.version}, ${QUICK ? "QUICK (short rounds: noisy)" : "full rounds"}`,
);
for (const t of tables) {
  const what = t.mode === "chat" ? "non-streaming chat" : `streaming chat, ${STREAM_CHUNKS} chunks`;
  const where =
    t.transport === "loopback"
      ? "loopback mock provider (own process)"
      : "in-process transport (canned fetch)";
  console.log(`\n#### ${what}, ${where}: ${t.calls} calls × ${t.rounds} alternating rounds\n`);
  console.log(
    "| variant | wall µs/call | wall vs bare | CPU µs/call | added CPU µs/call over bare | " +
      "over bare+ALS (own) | recorded/call |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  const cell = (x: Spread, f: (n: number) => string) => `${f(x.min)} / ${f(x.median)}`;
  for (const r of t.rows) {
    const bare = r.variant.startsWith("bare");
    console.log(
      `| ${r.variant} | ${cell(r.wallUs, f1)} | ${r.variant === "bare" ? "1" : cell(r.wallVsBare, f3)} | ` +
        `${cell(r.cpuUs, f1)} | ${r.variant === "bare" ? "-" : cell(r.addedOverBare, f1)} | ` +
        `${bare ? "-" : cell(r.addedOverAls, f1)} | ${r.recordedPerCall < 0 ? "-" : f1(r.recordedPerCall)} |`,
    );
  }
}
console.log(
  "\nCells are min / median over rounds. Wall: the calls' own time; CPU: the variant process's user + system " +
    "time over the calls and the flush of what it buffered (ledger writes, span export). A recorded/call " +
    "other than 1 means the instrumentation did not record every call.",
);
console.log(
  "\nAnthropic: no peer instrumentation of @anthropic-ai/sdk is installed (@traceloop/instrumentation-anthropic " +
    "is not a dependency), so there is no Anthropic peer row.",
);
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(tables));
console.log(`(peers: ${((performance.now() - STARTED) / 1e3).toFixed(0)} s)`);
// The mock's keep-alive sockets and the IPC channels would hold the process open: the exit hook ends them.
process.exit(0);
