/**
 * Dashboard API benchmark (not a test): a 1M-event ledger spread over 30 days, `costtrail dashboard`'s server on
 * it (read-only connection), and every call the page makes, timed over HTTP (median of 5, after one warm-up).
 *
 *   npx tsx bench/dashboard-api.ts [events=1000000]
 *
 * DASHBOARD_BENCH_LEDGER=/path/ledger.db keeps the generated ledger there and reuses it on the next run.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLedgerReadonly } from "../src/ledger/index.js";
import { startDashboard } from "../src/server/index.js";
import { buildLedger, dashboardCalls } from "./synthetic-ledger.js";

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const NOW = Date.now();

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const kept = process.env.DASHBOARD_BENCH_LEDGER;
const dir = mkdtempSync(join(tmpdir(), "costtrail-dashboard-bench-"));
try {
  // 1. The ledger (or the one kept from an earlier run).
  const path = kept ?? join(dir, "ledger.db");
  const t0 = performance.now();
  const built = !kept || !existsSync(path);
  if (built) buildLedger(path, TOTAL, NOW);
  const buildMs = performance.now() - t0;
  const sizeMb = statSync(path).size / 1e6;

  // 2. The dashboard over a read-only connection, as `costtrail dashboard` runs it.
  const ledger = openLedgerReadonly(path);
  const dashboard = await startDashboard({ db: ledger, port: 0 });
  const someInstance = (
    (await (await fetch(`${dashboard.url}api/report?by=instance&limit=1`)).json()) as {
      rows: { key: string }[];
    }
  ).rows[0]!.key;

  const cases = dashboardCalls(NOW, someInstance);
  const lines: string[] = [];
  let slowest = 0;
  for (const [label, query] of cases) {
    const url = `${dashboard.url}api/${query}`;
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 6; i++) {
      const t = performance.now();
      const response = await fetch(url);
      const body = await response.arrayBuffer();
      const ms = performance.now() - t;
      if (response.status !== 200)
        throw new Error(`${url}: ${response.status} ${Buffer.from(body).toString()}`);
      bytes = body.byteLength;
      if (i > 0) times.push(ms); // the first is a warm-up (page cache, statement preparation)
    }
    const m = median(times);
    if (!label.startsWith("(")) slowest = Math.max(slowest, m);
    lines.push(
      `| ${label} | \`/api/${query.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<iso>").replace(/instance\/.*/, "instance/<id>")}\` | ${fmt(m)} ms | ${fmt(Math.max(...times))} ms | ${(bytes / 1024).toFixed(0)} KiB |`,
    );
  }
  await dashboard.close();
  ledger.close();

  console.log(
    `\nDashboard API benchmark: ${fmt(TOTAL)} events over 30 days (${sizeMb.toFixed(0)} MB file${built ? `, built in ${fmt(buildMs)} ms` : ""}), Node ${process.version}\n`,
  );
  console.log("| call | endpoint | median of 5 | max | response |");
  console.log("|---|---|---:|---:|---:|");
  for (const line of lines) console.log(line);
  console.log(`\nslowest call the page makes: ${fmt(slowest)} ms (budget 1,000 ms)`);
  if (slowest >= 1_000) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
