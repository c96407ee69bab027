// `costtrail demo`: the whole product in half a minute, offline. A local mock of the provider APIs, the
// seed's document-generator web server instrumented per request, simulated users hitting it concurrently
// (one account on a trial budget that trips a block limit), then the cost report from the ledger, a reconciliation
// against the mock's admin API, and the KPI table.
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { instrument } from "../../instrument.js";
import { kpiReport } from "../../kpis/report.js";
import { openLedgerReadonly, report } from "../../ledger/index.js";
import { openDatabase } from "../../ledger/open-database.js";
import { startMockProvider } from "../../testing.js";
import type { KpiDefinition, LimitDefinition } from "../../types.js";
import type { CliOutput } from "../context.js";
import { renderKpiTable } from "../kpi-table.js";
import { renderReconcileTable } from "../reconcile-output.js";
import { renderReportTable } from "../report-table.js";
import { startDocumentApp } from "./document-app.js";
import { HISTORY_DAYS, VERSION_CHANGE_DAYS_AGO, writeHistory } from "./history.js";
import { demoAdminOptions, reconcileDemo } from "./reconcile-demo.js";
import { simulateUsers } from "./simulate-users.js";

export interface DemoOptions {
  users: number;
  requests: number;
  concurrency: number;
  db: string;
  /** Append to an existing demo ledger instead of starting fresh. */
  keep: boolean;
  /** Write four weeks of simulated history into a fresh ledger first (default true). */
  history?: boolean;
  /** Mock provider latency per response, ms. */
  latencyMs: number;
  out: CliOutput;
  err: CliOutput & { isTTY?: boolean };
}

export const DEMO_ACCOUNTS = ["globex", "initech", "umbrella", "hooli", "acme-trial"] as const;

/** The trial account's daily budget: small enough that the simulated load trips it. */
export const DEMO_LIMIT: LimitDefinition = {
  id: "acme-trial-daily",
  maxUsd: 0.005,
  window: "day",
  mode: "block",
  alertAtPct: 80,
  scope: { accountName: "acme-trial" },
};

/** What the demo app's outcomes mean: kinds, goals, and which amount is revenue for ROI. */
export const DEMO_KPIS: KpiDefinition[] = [
  { name: "document_accepted", useCase: "create_document", kind: "boolean", goal: { op: ">=", value: 0.6 } },
  { name: "revenue", useCase: "create_document", kind: "usd", roi: true },
  { name: "ticket_resolved", useCase: "answer_ticket", kind: "boolean", goal: { op: ">=", value: 0.75 } },
];

export async function runDemo(options: DemoOptions): Promise<void> {
  const { out, err } = options;
  const db = resolve(options.db);
  if (!options.keep) for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
  // A fresh ledger starts with weeks of history, so trends, forecasts and versions have something to show.
  const history =
    options.keep || options.history === false
      ? undefined
      : await writeHistory({ db, users: options.users, accounts: DEMO_ACCOUNTS, now: Date.now() });

  const mock = await startMockProvider({
    latencyMs: options.latencyMs,
    chunkDelayMs: 1,
    admin: demoAdminOptions(options.requests),
  });
  const alerts: string[] = [];
  const costtrail = instrument({
    globalInstrumentation: false, // a web server: every request gets its own context
    ledger: db,
    limits: [DEMO_LIMIT],
    kpis: DEMO_KPIS,
    onLimitAlert: (a) =>
      alerts.push(
        a.thresholdPct >= 100
          ? `${a.limitId} started refusing calls: $${a.spentUsd.toFixed(4)} settled + in-flight reservations would pass $${a.maxUsd}`
          : `${a.limitId} crossed ${a.thresholdPct}% ($${a.spentUsd.toFixed(4)} of $${a.maxUsd})`,
      ),
    logger: { warn: () => {}, error: (m) => err.write(`costtrail: ${m}\n`) },
  });
  await costtrail.ready;
  const app = await startDocumentApp({
    openai: new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "demo", maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "demo", maxRetries: 0 }),
  });
  out.write(
    `costtrail demo: ${options.users} users × ${options.requests} requests against a document-generator server\n` +
      `  mock OpenAI + Anthropic at ${mock.url}, app at ${app.url}, ledger ${db}\n` +
      (history
        ? `  history: ${HISTORY_DAYS} days before today (${history.events} calls, ${history.kpis} KPIs), ` +
          `create_document prompt v1 → v2 ${VERSION_CHANGE_DAYS_AGO} days ago\n`
        : "") +
      "\n",
  );
  const started = Date.now();
  const result = await simulateUsers({
    url: app.url,
    users: options.users,
    requests: options.requests,
    concurrency: options.concurrency,
    accounts: DEMO_ACCOUNTS,
    onProgress: progressBar(err),
  });
  await app.close();
  await costtrail.shutdown();
  // Every event is in the ledger now: compare it with what the mock provider bills, and store the run.
  let reconciliation: Awaited<ReturnType<typeof reconcileDemo>> | undefined;
  const writable = openDatabase(db);
  try {
    reconciliation = await reconcileDemo(writable, mock.url, Date.now());
  } catch (error) {
    err.write(`costtrail demo: reconciliation failed: ${(error as Error).message}\n`);
  } finally {
    writable.close();
    await mock.close();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = (result.byStatus[200] ?? 0) + (result.byStatus[201] ?? 0);
  out.write(
    `\n${options.requests} requests in ${seconds}s: ${ok} served, ${result.blocked} blocked by limit "${DEMO_LIMIT.id}"` +
      ` (block, $${DEMO_LIMIT.maxUsd}/day for account acme-trial)\n`,
  );
  for (const alert of alerts) out.write(`  alert: ${alert}\n`);

  const ledger = openLedgerReadonly(db);
  try {
    const today = new Date(started).toISOString().slice(0, 10);
    for (const [title, by, limit] of [
      ["Cost by user (today)", "user", 10],
      ["Cost by use case (today)", "use-case", undefined],
      ["Top instances (today)", "instance", 5],
      ["Cost by account (today)", "account", undefined],
    ] as const) {
      out.write(`\n${title}\n`);
      out.write(renderReportTable(report(ledger, { by, since: today, ...(limit ? { limit } : {}) })));
    }
    if (reconciliation) {
      out.write(
        "\nToday's ledger against the provider's bill (costtrail reconcile; the mock's admin API also bills a\n" +
          "batch job that never called instrument())\n",
      );
      out.write(renderReconcileTable(reconciliation));
    }
    const rel = options.db;
    out.write(
      `\nLedger: ${db}\n` +
        `  npx costtrail report --by user --db ${rel}\n` +
        `  npx costtrail report --forecast --db ${rel}\n` +
        `  npx costtrail limits list --db ${rel}\n` +
        `  npx costtrail whatif --model claude-haiku-4-5 --use-case create_document --db ${rel}\n` +
        `  npx costtrail dashboard --db ${rel}     (then open http://127.0.0.1:4319)\n`,
    );
    // Last: what the spend bought, per prompt version (npx costtrail kpis --by version).
    out.write(
      `\nKPIs per use case and version, ${HISTORY_DAYS} days and today (costtrail kpis --by version)\n`,
    );
    out.write(renderKpiTable(kpiReport(ledger, { by: "version" })));
  } finally {
    ledger.close();
  }
}

function progressBar(err: CliOutput & { isTTY?: boolean }): (done: number, total: number) => void {
  let lastPct = -1;
  return (done, total) => {
    const pct = Math.floor((done / total) * 100);
    if (pct === lastPct) return;
    lastPct = pct;
    if (err.isTTY) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      err.write(`\r  [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} requests`);
      if (done === total) err.write("\n");
    } else if (pct % 25 === 0) err.write(`  ${done}/${total} requests\n`);
  };
}
