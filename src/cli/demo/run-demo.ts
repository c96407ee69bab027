// `costtrail demo`: the whole product in half a minute, offline. A local mock of the provider APIs, the
// seed's document-generator web server instrumented per request, simulated users hitting it concurrently
// (one account on a trial budget that trips a block limit), then the cost report from the ledger.
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { instrument } from "../../instrument.js";
import { openLedgerReadonly, report } from "../../ledger/index.js";
import { startMockProvider } from "../../testing.js";
import type { LimitDefinition } from "../../types.js";
import type { CliOutput } from "../context.js";
import { renderReportTable } from "../report-table.js";
import { startDocumentApp } from "./document-app.js";
import { simulateUsers } from "./simulate-users.js";

export interface DemoOptions {
  users: number;
  requests: number;
  concurrency: number;
  db: string;
  /** Append to an existing demo ledger instead of starting fresh. */
  keep: boolean;
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

export async function runDemo(options: DemoOptions): Promise<void> {
  const { out, err } = options;
  const db = resolve(options.db);
  if (!options.keep) for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });

  const mock = await startMockProvider({ latencyMs: options.latencyMs, chunkDelayMs: 1 });
  const alerts: string[] = [];
  const costtrail = instrument({
    globalInstrumentation: false, // a web server: every request gets its own context
    ledger: db,
    limits: [DEMO_LIMIT],
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
      `  mock OpenAI + Anthropic at ${mock.url}, app at ${app.url}, ledger ${db}\n\n`,
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
  await mock.close();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = (result.byStatus[200] ?? 0) + (result.byStatus[201] ?? 0);
  out.write(
    `\n${options.requests} requests in ${seconds}s: ${ok} served, ${result.blocked} blocked by limit "${DEMO_LIMIT.id}"` +
      ` (block, $${DEMO_LIMIT.maxUsd}/day for account acme-trial)\n`,
  );
  for (const alert of alerts) out.write(`  alert: ${alert}\n`);

  const ledger = openLedgerReadonly(db);
  try {
    for (const [title, by, limit] of [
      ["Cost by user", "user", 10],
      ["Cost by use case", "use-case", undefined],
      ["Top instances", "instance", 5],
      ["Cost by account", "account", undefined],
    ] as const) {
      out.write(`\n${title}\n`);
      out.write(renderReportTable(report(ledger, { by, ...(limit ? { limit } : {}) })));
    }
  } finally {
    ledger.close();
  }
  const rel = options.db;
  out.write(
    `\nLedger: ${db}\n` +
      `  npx costtrail report --by user --db ${rel}\n` +
      `  npx costtrail limits list --db ${rel}\n` +
      `  npx costtrail dashboard --db ${rel}     (then open http://127.0.0.1:4319)\n`,
  );
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
