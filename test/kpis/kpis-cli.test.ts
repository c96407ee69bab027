import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KpiReportResult, KpiReportRow } from "../../src/kpis/report.js";
import { type MockProvider, startMockProvider } from "../../src/testing.js";
import { freshDatabase } from "../fleet/pg-helpers.js";
import { tempDir } from "../ledger/helpers.js";
import { cli } from "../limits/helpers.js";
import { startTsxChild } from "../support/child.js";
import { withoutLimitStoreOutage } from "../support/limit-store-outage.js";

// The same app, run as child processes, writing to a SQLite file and to a Postgres database of this file's own;
// the CLI (a child process too) must compute the same figures, to the nano-dollar, from either ledger.
const dir = tempDir("costtrail-kpis-cli-");
const pg = freshDatabase("kpis");
const LEDGERS = [
  { ledger: "SQLite", db: () => join(dir, "ledger.db") },
  { ledger: "Postgres", db: () => pg.url() },
];
const APP = fileURLToPath(new URL("./fixtures/document-app.ts", import.meta.url));
const BIN = fileURLToPath(new URL("../../src/cli/bin.ts", import.meta.url));
/** Where a Postgres sink would spool if the server did not answer: a temp dir, never the repository. */
const CHILD_ENV = { ...process.env, COSTTRAIL_SPOOL_DIR: join(dir, "spool") };

async function run(
  script: string,
  args: string[],
): Promise<{ code: number | null; out: string; err: string }> {
  const child = startTsxChild(script, args, CHILD_ENV);
  const { code } = await child.exited;
  return { code, out: child.stdout(), err: withoutLimitStoreOutage(child.stderr()) };
}

const pick = (rows: KpiReportRow[], kpi: string, group: number | string | null = null) =>
  rows.find((r) => r.kpi === kpi && r.group === group);

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider({ usage: () => ({ inputTokens: 1000, outputTokens: 500 }) });
});
afterAll(() => mock?.close());

describe.each(LEDGERS)("costtrail kpis (child processes → $ledger ledger → CLI)", ({ db: ledger }) => {
  let db: string;
  async function kpisJson(...args: string[]): Promise<KpiReportResult> {
    const r = await run(BIN, ["kpis", "--db", db, "--format", "json", ...args]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as KpiReportResult;
  }
  /** The same, in process: kpisJson already covers the child-process path; fewer processes on a small machine. */
  async function kpisJsonHere(...args: string[]): Promise<KpiReportResult> {
    const r = await cli("kpis", "--db", db, "--format", "json", ...args);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as KpiReportResult;
  }

  /** Just before the app's first call: instances are selected by their calls' times. */
  let started = "";
  beforeAll(async () => {
    db = ledger();
    started = new Date(Date.now() - 1).toISOString();
    const calls = await run(APP, ["calls", db, mock.openaiBaseURL]);
    expect(calls.err).toBe("");
    expect(calls.code).toBe(0);
    const late = await run(APP, ["late", db, calls.out.trim()]);
    expect(late).toEqual({ code: 0, out: "", err: "" });
  }, 60_000);

  it("per KPI: instances, rate, cost per unit to the nano-dollar, ROI, goal, undefined KPIs flagged", async () => {
    const result = await kpisJson();
    expect(result.by).toBeNull();
    expect(result.useCases).toEqual([
      {
        useCase: "create_document",
        group: null,
        instances: 7,
        requests: 7,
        blocked: 0,
        costNanos: "14000000",
        costUsd: 0.014,
      },
    ]);
    // 7 documents at $0.002; 5 accepted (one of them late, by target, from another process).
    expect(pick(result.rows, "accepted")).toEqual({
      useCase: "create_document",
      group: null,
      kpi: "accepted",
      kind: "boolean",
      defined: true,
      instances: 7,
      instancesWithKpi: 6,
      records: 6,
      totalValue: 5,
      totalValueNanos: "5000000000",
      avgValue: 5 / 6,
      rate: 5 / 7,
      costNanos: "14000000",
      costUsd: 0.014,
      costPerUnitNanos: "2800000",
      costPerUnitUsd: 0.0028,
      roi: null,
      goal: { op: ">=", value: 0.6 },
      goalMet: true,
    });
    // $0.009 revenue against $0.014 cost: ROI (0.009 − 0.014) / 0.014; $0.014 / 0.009 per revenue dollar.
    expect(pick(result.rows, "revenue")).toMatchObject({
      kind: "usd",
      defined: true,
      instancesWithKpi: 2,
      totalValueNanos: "9000000",
      costPerUnitNanos: "1555555556",
      roi: (9_000_000 - 14_000_000) / 14_000_000,
    });
    expect(pick(result.rows, "edits")).toMatchObject({
      kind: "count",
      defined: false,
      instancesWithKpi: 1,
      totalValue: 3,
      avgValue: 3,
      costPerUnitNanos: "4666667",
      roi: null,
      goal: null,
      goalMet: null,
    });
    expect(result.rows.map((r) => r.kpi)).toEqual(["accepted", "edits", "revenue"]);
  });

  it("--by version: the prompt versions side by side", async () => {
    const result = await kpisJson("--by", "version");
    expect(result.by).toBe("version");
    const v1 = pick(result.rows, "accepted", 1);
    const v2 = pick(result.rows, "accepted", 2);
    expect(v1).toMatchObject({
      instances: 4,
      instancesWithKpi: 3,
      totalValue: 2,
      rate: 0.5,
      costNanos: "8000000",
    });
    expect(v1).toMatchObject({ costPerUnitNanos: "4000000", goalMet: false });
    expect(v2).toMatchObject({
      instances: 3,
      instancesWithKpi: 3,
      totalValue: 3,
      rate: 1,
      costNanos: "6000000",
    });
    expect(v2).toMatchObject({ costPerUnitNanos: "2000000", goalMet: true });
    // v1 alone: $0.009 revenue on $0.008 cost → ROI 0.125, $0.888888889 of cost per revenue dollar.
    expect(pick(result.rows, "revenue", 1)).toMatchObject({ roi: 0.125, costPerUnitNanos: "888888889" });
    // A defined KPI nobody recorded under v2 still gets its row.
    expect(pick(result.rows, "revenue", 2)).toMatchObject({
      instances: 3,
      instancesWithKpi: 0,
      totalValueNanos: "0",
      costPerUnitNanos: null,
      roi: -1,
    });
  });

  it("--by account and --by user: the same split under the instances' account and user", async () => {
    for (const [by, v1, v2] of [
      ["account", "acme", "globex"],
      ["user", "ann", "bob"],
    ] as const) {
      const result = await kpisJsonHere("--by", by);
      expect(result.by).toBe(by);
      expect(result.useCases.map((u) => [u.group, u.instances, u.costNanos])).toEqual([
        [v1, 4, "8000000"],
        [v2, 3, "6000000"],
      ]);
      expect(pick(result.rows, "accepted", v1)).toMatchObject({ rate: 0.5, costPerUnitNanos: "4000000" });
      // The late acceptance by target counts under the instance's group, taken from its calls.
      expect(pick(result.rows, "accepted", v2)).toMatchObject({ totalValue: 3, costPerUnitNanos: "2000000" });
      expect(pick(result.rows, "revenue", v1)).toMatchObject({ roi: 0.125 });
    }
  });

  it("--since / --until select instances by their calls' times", async () => {
    const all = await kpisJsonHere();
    const since = await kpisJsonHere("--since", started);
    expect(since.rows).toEqual(all.rows);
    expect(since.since).toBe(started);
    const before = await kpisJsonHere("--until", started);
    expect(before).toMatchObject({ rows: [], useCases: [], until: started });
  });

  it("report --by version: cost, requests and KPI outcomes per prompt version", async () => {
    const report = JSON.parse((await cli("report", "--by", "version", "--db", db, "--format", "json")).out);
    expect(
      report.rows.map((r: { key: string; requests: number; costMicros: number }) => [
        r.key,
        r.requests,
        r.costMicros,
      ]),
    ).toEqual([
      ["1", 4, 8000],
      ["2", 3, 6000],
    ]);
    // The KPI outcomes beside them are `kpis --by version`'s rows.
    expect(report.kpis).toEqual((await kpisJsonHere("--by", "version")).rows);
    expect(pick(report.kpis, "accepted", 2)).toMatchObject({ rate: 1, costPerUnitNanos: "2000000" });
    const table = (await cli("report", "--by", "version", "--db", db)).out;
    const kpiPart = table.slice(table.indexOf("KPI outcomes per version"));
    expect(kpiPart).toMatch(/^KPI outcomes per version\nuse case\s+version\s+kpi/);
    expect(kpiPart).toMatch(/create_document\s+2\s+accepted\s+boolean\s+3\s+3\s+3\s/);
    // Other keys stay as they were: no KPI part.
    const byUser = JSON.parse((await cli("report", "--by", "user", "--db", db, "--format", "json")).out);
    expect(byUser).not.toHaveProperty("kpis");
  });

  it("--format table and csv; --use-case filters", async () => {
    const table = await cli("kpis", "--db", db, "--by", "version");
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^use case\s+version\s+kpi\s+kind/);
    expect(table.out).toMatch(
      /create_document\s+1\s+accepted\s+boolean\s+4\s+3\s+2\s+0\.6667\s+50\.0%\s+0\.008000\s+0\.004000\s+-\s+>= 60% missed/,
    );
    expect(table.out).toContain("edits *");
    expect(table.out).toContain("* not defined in instrument({ kpis })");
    const csv = await cli("kpis", "--db", db, "--format", "csv");
    expect(csv.out.split("\r\n")[0]).toBe(
      "useCase,group,kpi,kind,defined,instances,instancesWithKpi,records,totalValue,avgValue,rate,costNanos,costUsd,costPerUnitNanos,costPerUnitUsd,roi,goalMet",
    );
    const none = await cli("kpis", "--db", db, "--format", "json", "--use-case", "nothing-here");
    expect(JSON.parse(none.out).rows).toEqual([]);
    const bad = await cli("kpis", "--db", db, "--by", "model");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^costtrail: option '--by <key>' argument 'model' is invalid/);
  });
});
