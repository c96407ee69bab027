/**
 * The dashboard's value panels in chromium, over a ledger `costtrail demo` filled with its four weeks of history
 * (a prompt version change half-way) and its closing reconciliation: the KPI panel equals `costtrail kpis
 * --format json` (overall and --by version) to the nano-dollar, each limit card carries the forecast of
 * `costtrail report --forecast`, and the coverage panel shows the stored reconciliation's gap. The screenshots
 * docs/dashboard.md shows are taken here.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "better-sqlite3";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../scripts/build-dashboard.mjs";
import { runCli } from "../../src/cli/program.js";
import { forecast } from "../../src/kpis/forecast.js";
import type { KpiReportResult } from "../../src/kpis/report.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import { coverageByDay } from "../../src/reconcile/coverage.js";
import { type RunningDashboard, startDashboard } from "../../src/server/index.js";
import { recordingLogger, tempDir } from "../ledger/helpers.js";
import { launchChromium, watchedPage } from "./chromium.js";

const ASSETS = fileURLToPath(new URL("../../docs/assets/", import.meta.url));
const path = join(tempDir("costtrail-browser-value-"), "demo.db");
let db: Database;
let dashboard: RunningDashboard;
let browser: Browser;
let page: Page;
const problems: string[] = [];
/** The dashboard's clock, fixed once the demo is done: forecasts computed here and by the page agree. */
let now: number;

async function cliJson<T>(...argv: string[]): Promise<T> {
  let stdout = "";
  let stderr = "";
  const code = await runCli([...argv, "--format", "json", "--db", path], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  if (code !== 0) throw new Error(`costtrail ${argv.join(" ")} exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as T;
}

beforeAll(async () => {
  await buildDashboard();
  let stderr = "";
  const code = await runCli(
    ["demo", "--db", path, "--users", "8", "--requests", "120", "--concurrency", "8", "--latency", "5"],
    { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } },
  );
  if (code !== 0) throw new Error(`costtrail demo exited ${code}: ${stderr}`);
  // One KPI nobody defined, on one of the demo's documents: the panel must flag it.
  const demoLedger = openLedgerReadonly(path);
  const documentId = demoLedger
    .prepare("SELECT use_case_id FROM events WHERE use_case_name = 'create_document' LIMIT 1")
    .pluck()
    .get() as string;
  demoLedger.close();
  const sink = openLedger(path, { logger: recordingLogger(), installExitHooks: false });
  sink.writeKpis([
    {
      id: "undefined-kpi-1",
      ts: new Date().toISOString(),
      name: "edits",
      value: 3,
      kind: "count",
      useCaseName: "create_document",
      useCaseId: documentId,
    },
  ]);
  await sink.shutdown();
  db = openLedgerReadonly(path);
  now = Date.now();
  dashboard = await startDashboard({ db, port: 0, now: () => now });
  browser = await launchChromium();
  page = await watchedPage(browser, problems);
  await page.goto(`${dashboard.url}#period=all`);
  await page.waitForSelector("body[data-loaded]");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  db?.close();
});

describe("the dashboard's KPI, forecast and coverage panels", () => {
  it("shows each use case's KPIs with cost per unit and ROI to the nano-dollar, and each version side by side", async () => {
    const overall = await cliJson<KpiReportResult>("kpis");
    const byVersion = await cliJson<KpiReportResult>("kpis", "--by", "version");
    expect(overall.rows.length).toBeGreaterThan(0);

    const shown = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>("#kpis article.kpi-case")].map((card) => ({
        useCase: card.dataset.useCase,
        costNanos: card.dataset.costNanos,
        versions: [...card.querySelectorAll("thead th")].slice(5).map((th) => th.textContent),
        rows: [...card.querySelectorAll<HTMLElement>("tbody tr[data-kpi]")].map((tr) => ({
          kpi: tr.dataset.kpi,
          costPerUnitNanos: tr.dataset.costPerUnitNanos ?? null,
          roi: tr.dataset.roi === undefined ? null : Number(tr.dataset.roi),
          perVersion: [...tr.querySelectorAll<HTMLElement>("td[data-version]")].map((td) => [
            td.dataset.version,
            td.dataset.costPerUnitNanos ?? null,
          ]),
        })),
      })),
    );
    // The use cases that recorded KPIs, most expensive first, each with its cost and every KPI row.
    const withKpis = overall.useCases.filter((u) => overall.rows.some((r) => r.useCase === u.useCase));
    expect(shown.map((c) => c.useCase).sort()).toEqual(withKpis.map((u) => u.useCase).sort());
    for (const card of shown) {
      const useCase = overall.useCases.find((u) => u.useCase === card.useCase)!;
      expect(card.costNanos).toBe(useCase.costNanos);
      const rows = overall.rows.filter((r) => r.useCase === card.useCase);
      expect(card.rows.map((r) => [r.kpi, r.costPerUnitNanos, r.roi])).toEqual(
        rows.map((r) => [r.kpi, r.costPerUnitNanos, r.roi]),
      );
      // Per version: the cost per unit `kpis --by version` computes, one column per version.
      const versions = byVersion.useCases.filter((u) => u.useCase === card.useCase).map((u) => u.group);
      for (const row of card.rows) {
        expect(row.perVersion).toEqual(
          versions.map((v) => {
            const r = byVersion.rows.find(
              (x) => x.useCase === card.useCase && x.kpi === row.kpi && x.group === v,
            );
            return [String(v), r?.costPerUnitNanos ?? null];
          }),
        );
      }
    }
    // The demo's prompt change: create_document ran as v1 then v2, side by side; revenue has an ROI.
    const documents = shown.find((c) => c.useCase === "create_document")!;
    expect(documents.versions).toEqual(["v1", "v2"]);
    // And each version's cost per instance (its cost ÷ its instances, to the nano-dollar).
    const perInstance = await page.evaluate(() =>
      [
        ...document.querySelectorAll<HTMLElement>(
          '#kpis [data-use-case="create_document"] .kpi-cost-row td[data-version]',
        ),
      ].map((td) => [td.dataset.version, td.dataset.instances, td.dataset.costPerInstanceNanos]),
    );
    expect(perInstance).toEqual(
      byVersion.useCases
        .filter((u) => u.useCase === "create_document")
        .map((u) => {
          const n = BigInt(u.instances);
          return [String(u.group), String(u.instances), String((2n * BigInt(u.costNanos) + n) / (2n * n))];
        }),
    );
    // A KPI recorded without a definition is shown, flagged.
    expect(overall.rows.find((r) => r.kpi === "edits")).toMatchObject({ defined: false, kind: "count" });
    const edits = page.locator('#kpis [data-use-case="create_document"] tr[data-kpi="edits"] th .badge');
    expect(await edits.textContent()).toBe("undefined");
    expect(
      await page.locator('#kpis [data-use-case="create_document"] tr[data-kpi="revenue"] th .badge').count(),
    ).toBe(0);
    const revenue = documents.rows.find((r) => r.kpi === "revenue")!;
    expect(revenue.roi).not.toBeNull();
    expect(
      await page.locator('#kpis [data-use-case="create_document"] tr[data-kpi="revenue"]').textContent(),
    ).toContain("ROI");

    mkdirSync(ASSETS, { recursive: true });
    await page.locator(".panel-kpis").screenshot({ path: join(ASSETS, "dashboard-kpis.png") });
  });

  it("puts the forecast on each limit card: the spend rate and when the limit is reached", async () => {
    // What `costtrail report --forecast` computes, at the dashboard's instant.
    const expected = forecast(db, { now });
    expect(expected.limits.map((l) => l.id)).toEqual(["acme-trial-daily"]);
    for (const limit of expected.limits) {
      const line = page.locator(`[data-limit="${limit.id}"] .limit-forecast`);
      expect(await line.getAttribute("data-reached-at1d")).toBe(limit.reachedAt1d ?? "");
      expect(await line.getAttribute("data-reached-at7d")).toBe(limit.reachedAt7d ?? "");
      const text = await line.textContent();
      const perDay = (micros: number) => `$${(micros / 1e6).toFixed(4)}/day`;
      expect(text).toContain(`Last 24 h: ${perDay(limit.last1dMicros)}, `);
      expect(text).toContain(`7-day average: ${perDay(limit.perDay7dMicros)}, `);
      // A limit not reached before its window resets says so, rather than showing no date.
      if (limit.reachedAt1d === null && limit.last1dMicros > 0)
        expect(text).toContain("not before it resets");
    }
    // Under the chart, the use-case half of the forecast: each use case's rates, fastest first.
    const burn = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>("#burn-rate tbody tr")].map((tr) => [
        tr.dataset.useCase,
        Number(tr.dataset.last1dMicros),
        Number(tr.dataset.perDay7dMicros),
      ]),
    );
    expect(burn).toEqual(
      [...expected.useCases]
        .sort((a, b) => b.perDay7dMicros - a.perDay7dMicros || b.last1dMicros - a.last1dMicros)
        .map((u) => [u.useCase, u.last1dMicros, u.perDay7dMicros]),
    );
    expect(burn.map((r) => r[0]).sort()).toEqual(["answer_ticket", "append_document", "create_document"]);
    for (const panel of ["#burn-rate", "#limits", "#kpis", "#coverage"]) {
      expect(await page.locator(panel).textContent()).not.toMatch(/\bnull\b|\bNaN\b/);
    }

    // From the top, so the sticky top bar does not cover the panel.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator(".panel-limits").screenshot({ path: join(ASSETS, "dashboard-limits.png") });
  });

  it("shows how much of each provider's bill the ledger explains, with the unexplained gap", async () => {
    const coverage = coverageByDay(db);
    const panel = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>("#coverage .coverage-provider")].map((p) => ({
        provider: p.dataset.provider,
        coveragePct: p.dataset.coveragePct,
        days: [...p.querySelectorAll<HTMLElement>("tbody tr")].map((tr) => [
          tr.dataset.day,
          Number(tr.dataset.gapUsd),
        ]),
      })),
    );
    expect(panel.map((p) => p.provider)).toEqual(["anthropic", "openai"]);
    for (const p of panel) {
      expect(p.days).toEqual(
        coverage.days.filter((d) => d.provider === p.provider).map((d) => [d.day, d.gapUsd]),
      );
    }
    // The demo's batch job without costtrail: OpenAI's bill is not fully explained; Anthropic's is.
    expect(panel.find((p) => p.provider === "anthropic")!.coveragePct).toBe("100.00");
    expect(Number(panel.find((p) => p.provider === "openai")!.coveragePct)).toBeLessThan(100);
    expect(await page.locator('#coverage [data-provider="openai"]').textContent()).toMatch(
      /\$[\d.]+ unexplained/,
    );
    await page.locator(".panel-coverage").screenshot({ path: join(ASSETS, "dashboard-coverage.png") });
  });

  it("had no console errors, failed requests or page errors", () => {
    expect(problems).toEqual([]);
  });
});
