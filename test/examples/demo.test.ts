// `costtrail demo` as a user runs it: a child process, twice on the same ledger path (fresh each time),
// then once more with --keep (appends).
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { demoAdminOptions } from "../../src/cli/demo/reconcile-demo.js";
import { runCli } from "../../src/cli/program.js";
import { Pricer } from "../../src/pricing/index.js";

const bin = new URL("../../src/cli/bin.ts", import.meta.url).pathname;
const db = join(mkdtempSync(join(tmpdir(), "costtrail-demo-")), "demo.db");

async function demo(...flags: string[]) {
  const { stdout } = await promisify(execFile)(process.execPath, [
    "--import",
    "tsx",
    bin,
    "demo",
    "--db",
    db,
    ...flags,
  ]);
  return stdout;
}

/** Requests of the live part (the last hour): the demo's history is in the days before today. */
async function totalRequests(): Promise<number> {
  let out = "";
  const code = await runCli(["report", "--by", "user", "--since", "1h", "--db", db, "--format", "json"], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => true },
  });
  expect(code).toBe(0);
  return (JSON.parse(out) as { totals: { requests: number } }).totals.requests;
}

it("prints the reports, trips the trial account's block limit, and runs again on a fresh or appended ledger", async () => {
  const first = await demo();
  for (const section of ["Cost by user", "Cost by use case", "Top instances", "Cost by account", "Ledger:"]) {
    expect(first).toContain(section);
  }
  expect(first).toMatch(/200 requests in [\d.]+s: \d+ served, [1-9]\d* blocked by limit "acme-trial-daily"/);
  expect(first).toContain("create_document");
  expect(first).toContain("append_document");
  expect(await totalRequests()).toBe(200);
  // Four weeks of history with the prompt change, and the output ends with the KPI table per version.
  expect(first).toMatch(
    /history: 28 days before today \(\d+ calls, \d+ KPIs\), create_document prompt v1 → v2/,
  );
  const kpiTable = first.slice(first.lastIndexOf("KPIs per use case and version"));
  expect(kpiTable).toMatch(/create_document\s+1\s+document_accepted\s+boolean/);
  expect(kpiTable).toMatch(/create_document\s+2\s+revenue\s+usd/);
  expect(kpiTable).toMatch(/answer_ticket\s+1\s+ticket_resolved\s+boolean/);
  expect(first.trimEnd().split("\n").at(-1)).toMatch(/^create_document\s+2\s+revenue/);

  // Before the KPI table: today's reconciliation against the mock's admin API, stored for the dashboard.
  // The mock also billed a batch job without costtrail: OpenAI is short by exactly that job's cost.
  const reconciliation = first.slice(first.indexOf("Today's ledger against the provider's bill"));
  expect(reconciliation.indexOf("KPIs per use case and version")).toBeGreaterThan(0);
  expect(reconciliation).toMatch(/^!\s+openai\s+\d{4}-\d{2}-\d{2}\s+gpt-4o-mini-2024-07-18/m);
  expect(reconciliation).toMatch(/request\(s\) missing: calls made without costtrail/);
  const unseen = demoAdminOptions(200).unseen![0]!;
  const unseenNanos = new Pricer({ logger: { warn: () => {}, error: () => {} } }).price({
    provider: "openai",
    requestModel: unseen.model,
    usage: {
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      inputTokens: 0,
      outputTokens: 0,
      ...unseen.usage,
    },
    ts: new Date().toISOString(),
  }).costNanos!;
  expect(unseenNanos).toBeGreaterThan(0);
  const ledger = new Database(db, { readonly: true });
  try {
    expect(
      ledger
        .prepare(
          "SELECT provider, provider_nanos - ledger_nanos AS gap, rows_outside AS outside FROM reconciliations ORDER BY provider",
        )
        .all(),
    ).toEqual([
      { provider: "anthropic", gap: 0, outside: 0 },
      { provider: "openai", gap: unseenNanos, outside: 1 },
    ]);
  } finally {
    ledger.close();
  }

  await demo(); // fresh: the previous run's ledger is replaced
  expect(await totalRequests()).toBe(200);

  await demo("--keep", "--requests", "50");
  expect(await totalRequests()).toBe(250);
}, 120_000);
