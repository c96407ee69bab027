// Spending limits: added latency per call with 0, 1 and 5 active limits, file ledger, side by side in one run.
//   A. The gate alone (reserve + settle: two IMMEDIATE transactions on the ledger file), µs per call.
//   B. Real OpenAI calls against the mock provider (its own process), sequential, instrumented with a file
//      ledger and 0 / 1 / 5 limits applying to every call, interleaved blocks: µs per call, added µs, ratios.
//      Wall-clock figures here carry ±50 µs of noise on a small machine; A is the precise one.
//   C. The fleet gate on Postgres (loopback): the latency a limited call waits for its reservation (one
//      round trip to costtrail_reserve), p50 / p99, sequential and 16 calls at once; settlements are off the
//      call's path. Uses its own database on COSTTRAIL_BENCH_PG (default postgres://postgres@127.0.0.1:5432),
//      dropped after. Goal (issue 16): p99 < 2 ms added per call.
// Run: npx tsx bench/limits.ts [callsPerVariant] [--quick] [--pg-only]
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import OpenAI from "openai";
import pg from "pg";
import { instrument, type LimitDefinition } from "../src/index.js";
import { openDatabase } from "../src/ledger/open-database.js";
import type { LimitHold } from "../src/limits/gate.js";
import { LimitEngine, PostgresLimitGate, parseLimits } from "../src/limits/index.js";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const PG_ONLY = argv.includes("--pg-only");
const CALLS = Number(argv.find((a) => !a.startsWith("--")) ?? (QUICK ? 400 : 4_000));
const GATE_CALLS = QUICK ? 2_000 : 20_000;
const PG_CALLS = QUICK ? 1_000 : 10_000;
const PG_SERVER = process.env["COSTTRAIL_BENCH_PG"] ?? "postgres://postgres@127.0.0.1:5432";
const dir = mkdtempSync(join(tmpdir(), "costtrail-bench-limits-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function limitsOf(count: number): LimitDefinition[] {
  // Roomy: nothing is ever blocked, every call does the full reserve + settle work. Mixed windows and modes.
  const windows = ["day", "week", "month", "total"] as const;
  return Array.from({ length: count }, (_, i) => ({
    id: `bench-${i}`,
    maxUsd: 1_000_000,
    window: windows[i % windows.length]!,
    mode: i % 2 ? "allow" : "block",
    alertAtPct: 80,
  }));
}
const idsOf = (count: number) => limitsOf(count).map((l) => l.id);

// ---- A. the gate alone ------------------------------------------------------------------------------------

function gateBench(): string[] {
  const rows: string[] = [];
  const variants: [string, number, string[]][] = [
    ["engine on, no limit applies", 5, []],
    ["1 limit", 1, idsOf(1)],
    ["5 limits", 5, idsOf(5)],
  ];
  for (const [label, defined, named] of variants) {
    const engine = new LimitEngine({
      db: openDatabase(join(dir, `gate-${defined}-${named.length}.db`)),
      limits: parseLimits(limitsOf(defined)),
    });
    const request = {
      annotations: { limitIds: named },
      provider: "openai",
      requestModel: "m",
      reserveMicros: 2_000,
    };
    const run = (n: number) => {
      for (let i = 0; i < n; i++) (engine.reserve(request) as LimitHold | undefined)?.settle(1_000);
    };
    run(2_000); // warm-up
    const rounds: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = process.hrtime.bigint();
      run(GATE_CALLS / 5);
      rounds.push(Number(process.hrtime.bigint() - t0) / 1e3 / (GATE_CALLS / 5));
    }
    engine.close();
    rows.push(`| ${label} | ${median(rounds).toFixed(1)} |`);
  }
  return rows;
}

// ---- C. the fleet gate on Postgres -------------------------------------------------------------------------

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

async function postgresBench(): Promise<string[]> {
  const name = `ct_bench_limits_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const rows: string[] = [];
  try {
    const probe = new pg.Pool({ connectionString: `${PG_SERVER}/${name}`, max: 1 });
    const rtt: number[] = [];
    for (let i = 0; i < PG_CALLS; i++) {
      const t0 = performance.now();
      await probe.query("SELECT 1");
      if (i >= 200) rtt.push((performance.now() - t0) * 1e3);
    }
    await probe.end();
    rows.push(
      `| (a bare SELECT 1 round trip, for scale) | ${quantile(rtt, 0.5).toFixed(0)} | ${quantile(rtt, 0.99).toFixed(0)} | - |`,
    );
    const variants: [string, number, number][] = [
      ["1 limit, sequential", 1, 1],
      ["1 limit, 16 calls at once", 1, 16],
      ["5 limits, sequential", 5, 1],
    ];
    for (const [label, count, concurrency] of variants) {
      const gate = new PostgresLimitGate({
        url: `${PG_SERVER}/${name}`,
        limits: parseLimits(limitsOf(count)),
      });
      await gate.ready;
      const request = {
        annotations: { limitIds: idsOf(count) },
        provider: "openai",
        requestModel: "m",
        reserveMicros: 2,
        reserveNanos: 2_000,
      };
      const waits: number[] = [];
      const lane = async (n: number, record: boolean) => {
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          const hold = await gate.reserve(request);
          if (record) waits.push((performance.now() - t0) * 1e3);
          hold?.settle(1, 1_000);
        }
      };
      await lane(200, false); // warm-up: connections, plans
      await Promise.all(Array.from({ length: concurrency }, () => lane(PG_CALLS / concurrency, true)));
      await gate.close();
      rows.push(
        `| ${label} | ${quantile(waits, 0.5).toFixed(0)} | ${quantile(waits, 0.99).toFixed(0)} | ` +
          `${quantile(waits, 0.99) < 2_000 ? "PASS" : "FALL SHORT"} |`,
      );
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  return rows;
}

function printPostgres(rows: string[]): void {
  console.log(
    `\nC. The fleet gate on Postgres (loopback), ${PG_CALLS} reservations per variant: the wait before a limited ` +
      "call is sent (settlements are off the call's path)\n",
  );
  console.log("| variant | p50 µs | p99 µs | p99 < 2 ms |");
  console.log("|---|---:|---:|---|");
  for (const row of rows) console.log(row);
}

if (PG_ONLY) {
  printPostgres(await postgresBench());
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// ---- B. real calls ----------------------------------------------------------------------------------------

const server = spawn(
  process.execPath,
  ["--import", "tsx", new URL("./mock-server-process.ts", import.meta.url).pathname],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const [line] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
const { openaiBaseURL } = JSON.parse(line) as { openaiBaseURL: string };
const client = new OpenAI({ baseURL: openaiBaseURL, apiKey: "bench", maxRetries: 0 });
const body = {
  model: "gpt-4o-mini",
  messages: [{ role: "user" as const, content: "Benchmark me briefly." }],
  max_tokens: 64,
};

// Naming limits has a cost of its own, engine or not (the resolved limitIds, the ledger's label rows), so
// each limited variant also runs as "named": the same limitIds (root scope) with no limit defined, hence no
// engine. limits − named = what the engine adds; limits − none = what using limits costs in all.
interface Variant {
  label: string;
  limits: number;
  named: number;
}
const VARIANTS: Variant[] = [
  { label: "no limits", limits: 0, named: 0 },
  { label: "1 id named, no limit defined", limits: 0, named: 1 },
  { label: "1 limit", limits: 1, named: 1 },
  { label: "5 ids named, no limit defined", limits: 0, named: 5 },
  { label: "5 limits", limits: 5, named: 5 },
];
const blockUs = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
const blockCpuUs = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
// One ledger file per variant: limits from config are stored in the ledger, and a stored limit applies to every
// process on that file, config or not (docs/limits.md), so the "named" variants must not share it.
const ledgerOf = (v: Variant) => join(dir, `calls-${VARIANTS.indexOf(v)}.db`);

async function block(v: Variant, n: number, record: boolean): Promise<void> {
  const handle = instrument({
    ledger: ledgerOf(v),
    globalInstrumentation: true,
    defaults: { useCaseName: "bench", limitIds: idsOf(v.named) },
    limits: limitsOf(v.limits),
  });
  await handle.ready;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await client.chat.completions.create(body);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await handle.shutdown();
  if (record) {
    blockUs.get(v)!.push((wall * 1e3) / n);
    blockCpuUs.get(v)!.push((cpu.user + cpu.system) / n);
  }
}

for (const v of VARIANTS) await block(v, 300, false); // warm-up every path
const BLOCK = 200;
for (let done = 0; done < CALLS; done += BLOCK) {
  // Rotate the order so that no variant always runs first or last.
  const round = done / BLOCK;
  for (let k = 0; k < VARIANTS.length; k++)
    await block(VARIANTS[(k + round) % VARIANTS.length]!, BLOCK, true);
}
server.kill("SIGTERM");

const gateRows = gateBench();
const pgRows = await postgresBench();
rmSync(dir, { recursive: true, force: true });

console.log(`\nSpending limits overhead, file ledger (WAL), node ${process.version}\n`);
console.log(`A. The gate alone: reserve + settle, ${GATE_CALLS} calls per variant (median of 5 rounds)\n`);
console.log("| variant | µs per call |");
console.log("|---|---:|");
for (const row of gateRows) console.log(row);
const wall = (v: Variant) => median(blockUs.get(v)!);
const cpu = (v: Variant) => median(blockCpuUs.get(v)!);
const none = VARIANTS[0]!;
const namedOf = (v: Variant) => VARIANTS.find((x) => x.limits === 0 && x.named === v.named)!;
console.log(
  `\nB. openai chat.completions against the mock provider (own process), sequential, ${CALLS} calls per variant, ` +
    `median of ${BLOCK}-call blocks, interleaved\n`,
);
console.log(
  "| variant | µs per call | ratio vs no limits | added µs vs no limits | added by the engine, µs (vs named) | " +
    "client CPU µs per call | engine CPU µs (vs named) |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const v of VARIANTS) {
  const engine = v.limits > 0;
  console.log(
    `| ${v.label} | ${wall(v).toFixed(1)} | ${(wall(v) / wall(none)).toFixed(3)} | ` +
      `${v === none ? "-" : (wall(v) - wall(none)).toFixed(1)} | ` +
      `${engine ? (wall(v) - wall(namedOf(v))).toFixed(1) : "-"} | ${cpu(v).toFixed(1)} | ` +
      `${engine ? (cpu(v) - cpu(namedOf(v))).toFixed(1) : "-"} |`,
  );
}
printPostgres(pgRows);
