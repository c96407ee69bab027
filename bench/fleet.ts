/**
 * Fleet ledger benchmark (not a test): ingest into Postgres from 4 processes at once through the real sink, and
 * `report --by user` over many events in Postgres through the CLI's connection. Issue 16's targets: ≥ 30,000
 * events/s in aggregate, and the report under 1 s over 1M events. Prints figures; asserts nothing about speed.
 *
 *   npx tsx bench/fleet.ts [--quick] [--server postgres://postgres@127.0.0.1:5432]
 *     --quick: 4 × 25,000 events ingested, the report over 100,000 (default 4 × 250,000 and 1,000,000)
 * Creates a database of its own on the server and drops it after.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { PostgresLedgerSink } from "../src/ledger/postgres/sink.js";
import { report } from "../src/ledger/queries.js";
import { openLedgerReader } from "../src/ledger/reader.js";
import type { UsageEvent } from "../src/types.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const server = args[args.indexOf("--server") + 1]?.startsWith("postgres")
  ? args[args.indexOf("--server") + 1]!
  : "postgres://postgres@127.0.0.1:5432";
const PROCESSES = 4;

function event(prefix: string, i: number): UsageEvent {
  return {
    id: `${prefix}-${i}`,
    ts: new Date(Date.UTC(2025, 5, 1) + (i % 30) * 86_400_000 + i).toISOString(),
    durationMs: 400,
    provider: "openai",
    operation: "chat",
    requestModel: "gpt-4o-mini",
    responseModel: "gpt-4o-mini-2024-07-18",
    stream: false,
    status: "ok",
    httpStatus: 200,
    attempts: 1,
    usage: {
      inputTokens: 100 + (i % 900),
      outputTokens: 20 + (i % 300),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    costMicros: 1 + (i % 500),
    costNanos: 1_000 + (i % 500_000),
    currency: "USD",
    costSource: "computed",
    annotations: {
      useCaseName: `use-case-${i % 40}`,
      useCaseId: `${prefix}-inst-${i % 5_000}`,
      userId: `user-${i % 10_000}`,
      accountName: `acct-${i % 50}`,
      ...(i % 10 === 0 ? { limitIds: ["daily"] } : {}),
    },
    limitsExceeded: [],
  };
}

/** Child: write `count` events through the sink as an app would (1,000 per turn), flush, print its window. */
async function child(url: string, prefix: string, count: number): Promise<void> {
  const spoolRoot = mkdtempSync(join(tmpdir(), "ct-bench-spool-"));
  const sink = new PostgresLedgerSink(url, {
    logger: { warn: (m) => console.error(m), error: (m) => console.error(m) },
    installExitHooks: false,
    spoolRoot,
  });
  await sink.flush(); // connected and migrated before the clock starts
  const start = Date.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < count; i += 1_000) {
    // An app cannot produce events faster than it makes calls; this loop can. Past the sink's 100,000-event
    // buffer it would drop (docs/fleet.md, "Bounds"), so it waits for the sink instead: throughput, not drops.
    while (sink.stats().buffered >= 50_000) await new Promise((r) => setTimeout(r, 2));
    sink.write(
      Array.from({ length: Math.min(1_000, count - i) }, (_, j) => ({ event: event(prefix, i + j) })),
    );
    await new Promise((r) => setImmediate(r));
  }
  await sink.shutdown();
  const end = Date.now();
  const cpu = process.cpuUsage(cpu0);
  rmSync(spoolRoot, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({ start, end, cpuMs: (cpu.user + cpu.system) / 1000, ...sink.stats() })}\n`,
  );
}

async function admin(sql: string, url = `${server}/postgres`): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function runChild(url: string, prefix: string, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), "--child", url, prefix, String(count)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
  });
}

/**
 * CPU seconds used so far by every postgres process on this machine (the server is local: loopback), from
 * /proc; undefined where there is no /proc. Where the ingest's CPU goes: the server's or the producers'.
 */
function postgresCpuSeconds(): number | undefined {
  try {
    const tick = 100; // USER_HZ on Linux
    let total = 0;
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("postgres")) continue;
        const fields = stat.slice(close + 2).split(" ");
        // utime, stime, cutime, cstime: fields 14-17 of stat, 11-14 after the name and state.
        total += fields.slice(11, 15).reduce((a, f) => a + Number(f), 0) / tick;
      } catch {
        // The process ended meanwhile.
      }
    }
    return total;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const name = `ct_bench_fleet_${randomBytes(4).toString("hex")}`;
  const url = `${server}/${name}`;
  await admin(`CREATE DATABASE ${name}`);
  try {
    // Ingest: 4 processes at once; the aggregate rate over the union of their write windows.
    const perProcess = quick ? 25_000 : 250_000;
    const serverCpu0 = postgresCpuSeconds();
    const outs = await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) => runChild(url, `p${i}`, perProcess)),
    );
    const windows = outs.map(
      (o) =>
        JSON.parse(o.trim().split("\n").at(-1)!) as {
          start: number;
          end: number;
          written: number;
          dropped: number;
          spooled: number;
          cpuMs: number;
        },
    );
    const serverCpu1 = postgresCpuSeconds();
    const seconds =
      (Math.max(...windows.map((w) => w.end)) - Math.min(...windows.map((w) => w.start))) / 1000;
    const total = PROCESSES * perProcess;
    // The rate counts what the database acknowledged, never dropped events.
    const written = windows.reduce((a, w) => a + w.written, 0);
    console.log(`ingest: ${PROCESSES} processes × ${perProcess.toLocaleString()} events into Postgres`);
    console.log(
      `  ${Math.round(written / seconds).toLocaleString()} events/s written in aggregate (${seconds.toFixed(2)} s; target ≥ 30,000)`,
    );
    console.log(
      `  written ${windows.reduce((a, w) => a + w.written, 0)}, spooled ${windows.reduce((a, w) => a + w.spooled, 0)}, dropped ${windows.reduce((a, w) => a + w.dropped, 0)}`,
    );
    const clientCpu = windows.reduce((a, w) => a + w.cpuMs, 0) / 1000;
    const serverCpu =
      serverCpu0 === undefined || serverCpu1 === undefined
        ? "n/a"
        : `${(serverCpu1 - serverCpu0).toFixed(1)} s`;
    console.log(
      `  CPU: the 4 producing processes ${clientCpu.toFixed(1)} s (events made, queued and sent), ` +
        `the Postgres server ${serverCpu} (every postgres process on this machine)`,
    );

    // Report: top the table up to the target size server-side (fast), then report --by user.
    const target = quick ? 100_000 : 1_000_000;
    if (target > total) {
      await admin(
        `INSERT INTO events (id, ts, ts_ms, duration_ms, provider, operation, request_model, stream, status, attempts,
           input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_micros, cost_source,
           use_case_name, use_case_id, user_id, account_name, annotations, limits_exceeded, limit_count, tag_count, cost_nanos)
         SELECT 'g-' || g, '2025-06-01T00:00:00.000Z', 1748736000000 + g, 400, 'openai', 'chat', 'gpt-4o-mini', 0, 'ok', 1,
           100 + g % 900, 20 + g % 300, 0, 0, 0, 1 + g % 500, 'computed',
           'use-case-' || g % 40, 'inst-' || g % 50000, 'user-' || g % 10000, 'acct-' || g % 50, '{}', '[]', 0, 0, 1000 + g % 500000
         FROM generate_series(1, ${target - total}) AS g`,
        url,
      );
      await admin("VACUUM ANALYZE events", url);
    }
    const db = openLedgerReader(url);
    try {
      const times: number[] = [];
      let groups = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        groups = report(db, { by: "user" }).groupCount;
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(
        `report --by user over ${target.toLocaleString()} events in Postgres (${groups.toLocaleString()} users)`,
      );
      console.log(
        `  median ${times[2]!.toFixed(0)} ms, best ${times[0]!.toFixed(0)} ms of 5 (target < 1,000 ms)`,
      );
    } finally {
      db.close();
    }
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

if (args[0] === "--child") await child(args[1]!, args[2]!, Number(args[3]));
else await main();
