/**
 * The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core) over a ledger the
 * demo filled: the Users tab matches `costtrail report --by user --format json`, tabs switch, an instance
 * opens, and the screenshots in docs/assets are taken from here. The page is bundled from src/server/ui first
 * (as `npm run build` does), so the test always drives the current source.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "better-sqlite3";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../../scripts/build-dashboard.mjs";
import { formatCount, formatUsd } from "../../src/cli/format.js";
import { runCli } from "../../src/cli/program.js";
import type { ReportResult } from "../../src/ledger/index.js";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import { type RunningDashboard, startDashboard } from "../../src/server/index.js";
import { tempDir } from "../ledger/helpers.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ASSETS = fileURLToPath(new URL("../../docs/assets/", import.meta.url));
const TOKEN = "e2e-dashboard-token";
const USERS = 12;
// Enough for the demo's trial account to pass its daily block limit: some calls are blocked.
const REQUESTS = 240;

const path = join(tempDir("costtrail-browser-"), "demo.db");
let db: Database;
let dashboard: RunningDashboard;
let browser: Browser;
let page: Page;
/** Console errors, failed requests and uncaught exceptions on the page: there must be none. */
const problems: string[] = [];

async function cli(...argv: string[]): Promise<string> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  if (code !== 0) throw new Error(`costtrail ${argv.join(" ")} exited ${code}: ${stderr}`);
  return stdout;
}

const reportJson = async (by: string) =>
  JSON.parse(await cli("report", "--by", by, "--format", "json", "--db", path)) as ReportResult;

/** The drivers table as the page shows it: one entry per body row, and the footer. */
async function driversTable() {
  return page.evaluate(() => {
    const table = document.querySelector("#drivers-table") as HTMLTableElement;
    const cells = (tr: Element) => [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim() ?? "");
    const row = (tr: HTMLElement) => ({
      key: tr.dataset.none ? null : (tr.dataset.key ?? null),
      requests: Number(tr.dataset.requests),
      costMicros: Number(tr.dataset.costMicros),
      cells: cells(tr),
      costTitle: tr.querySelectorAll("td")[tr.querySelectorAll("td").length - 2]?.getAttribute("title"),
    });
    return {
      by: table.dataset.by,
      headers: [...table.querySelectorAll("thead th")].map((th) => th.textContent?.trim()),
      rows: [...table.querySelectorAll<HTMLElement>("tbody tr[data-requests]")].map(row),
      footer: row(table.querySelector<HTMLElement>("tfoot tr")!),
    };
  });
}

async function selectTab(label: string, by: string) {
  await page.getByRole("tab", { name: label }).click();
  await page.waitForSelector(`#drivers-table[data-by="${by}"] tbody tr`);
  expect(await page.getByRole("tab", { name: label }).getAttribute("aria-selected")).toBe("true");
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium not found at ${CHROMIUM}: the dashboard's browser tests need Debian's chromium ` +
        "(apt-get install -y chromium; .ci/run installs it) or CHROMIUM_PATH",
    );
  }
  await buildDashboard();
  // The demo, as a user runs it: mock provider, instrumented document app, simulated users, a limit.
  await cli(
    "demo",
    "--db",
    path,
    "--users",
    String(USERS),
    "--requests",
    String(REQUESTS),
    "--concurrency",
    "12",
    "--latency",
    "5",
    // Only the live calls: the assertions below count the demo's requests (its history is tested elsewhere).
    "--no-history",
  );
  db = openLedgerReadonly(path);
  dashboard = await startDashboard({ db, port: 0, token: TOKEN });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  db?.close();
});

describe("costtrail dashboard in chromium", () => {
  it("opens with the token, and its Users tab and totals equal `costtrail report --by user --format json`", async () => {
    const expected = await reportJson("user");
    // The token in the URL is traded for a cookie (redirect); every later request (assets, API) carries it.
    await page.goto(`${dashboard.url}?token=${TOKEN}#period=all&tab=users`);
    await page.waitForSelector("body[data-loaded]");
    expect(new URL(page.url()).search).toBe("");

    const table = await driversTable();
    expect(table.by).toBe("user");
    // The demo's block limit refused some calls: a Blocked column, as `costtrail report` prints one.
    expect(expected.totals.blocked).toBeGreaterThan(0);
    expect(table.headers.slice(0, 8)).toEqual([
      "User",
      "Requests",
      "Errors",
      "Blocked",
      "Input tokens",
      "Output tokens",
      "Spend (USD)",
      "Share of spend",
    ]);
    // The demo's users, in the report's order, with the report's numbers.
    expect(table.rows.map((r) => r.key).sort()).toEqual(
      Array.from({ length: USERS }, (_, i) => `user-${String(i + 1).padStart(2, "0")}`),
    );
    expect(table.rows.map((r) => [r.key, r.requests, r.costMicros])).toEqual(
      expected.rows.map((r) => [r.key, r.requests, r.costMicros]),
    );
    for (const [i, row] of table.rows.entries()) {
      const want = expected.rows[i]!;
      expect(row.cells.slice(1, 6)).toEqual([
        formatCount(want.requests),
        formatCount(want.errors),
        formatCount(want.blocked),
        formatCount(want.inputTokens),
        formatCount(want.outputTokens),
      ]);
      expect(row.costTitle).toBe(`${formatUsd(want.costMicros)} USD`);
    }
    expect(table.footer.requests).toBe(expected.totals.requests);
    expect(table.footer.costMicros).toBe(expected.totals.costMicros);
    expect(table.footer.cells[1]).toBe(formatCount(expected.totals.requests));
    expect(table.footer.cells[3]).toBe(formatCount(expected.totals.blocked));
    expect(table.footer.costTitle).toBe(`${formatUsd(expected.totals.costMicros)} USD`);
    expect(expected.totals.requests).toBe(REQUESTS);

    // The headline cards: the same totals.
    expect(await page.locator("#totals").getAttribute("data-cost-micros")).toBe(
      String(expected.totals.costMicros),
    );
    expect(await page.locator('[data-total="requests"]').textContent()).toBe(
      formatCount(expected.totals.requests),
    );
    expect(await page.locator('[data-total="spend"]').getAttribute("title")).toBe(
      `${formatUsd(expected.totals.costMicros)} USD`,
    );

    // Calls the demo's block limit refused: counted among the requests, shown on their own card.
    const blocked = db
      .prepare("SELECT count(*) FROM events WHERE status = 'blocked'")
      .pluck()
      .get() as number;
    expect(blocked).toBeGreaterThan(0);
    expect(await page.locator("#totals").getAttribute("data-blocked")).toBe(String(blocked));
    expect(await page.locator('[data-total="blocked"]').textContent()).toBe(formatCount(blocked));

    // The chart drew (Chart.js served locally) and the demo's limit is listed.
    expect(await page.evaluate(() => typeof (window as { Chart?: unknown }).Chart)).toBe("function");
    expect(await page.locator("#spend-chart").evaluate((c: HTMLCanvasElement) => c.width)).toBeGreaterThan(0);
    await page.waitForSelector('[data-limit="acme-trial-daily"]');
    // The limit's card counts the calls it refused, as `costtrail limits list` does.
    const [status] = JSON.parse(await cli("limits", "list", "--format", "json", "--db", path)) as {
      id: string;
      blocked: number;
    }[];
    expect(status).toMatchObject({ id: "acme-trial-daily", blocked });
    const card = page.locator('[data-limit="acme-trial-daily"]');
    expect(await card.getAttribute("data-blocked")).toBe(String(blocked));
    expect(await card.locator(".limit-blocked").textContent()).toBe(
      `${formatCount(blocked)} calls blocked today`,
    );

    mkdirSync(ASSETS, { recursive: true });
    await page.screenshot({ path: join(ASSETS, "dashboard.png"), fullPage: true });
  });

  it("switches tabs, and sorts by a column", async () => {
    await selectTab("Use cases", "use-case");
    let table = await driversTable();
    expect(table.rows.map((r) => r.key).sort()).toEqual([
      "answer_ticket",
      "append_document",
      "create_document",
    ]);
    expect(table.rows.map((r) => [r.key, r.costMicros])).toEqual(
      (await reportJson("use-case")).rows.map((r) => [r.key, r.costMicros]),
    );

    await selectTab("Accounts", "account");
    table = await driversTable();
    expect(table.rows.map((r) => r.key)).toContain("acme-trial");

    await selectTab("Models", "model");
    table = await driversTable();
    expect(table.rows.map((r) => r.key).sort()).toEqual(["claude-haiku-4-5", "gpt-4o-mini"]);

    await selectTab("Tags", "tag");
    table = await driversTable();
    expect(table.footer.requests).toBe(REQUESTS);

    await selectTab("Users", "user");
    await page.locator('#drivers-table th[data-column="requests"] button').click();
    expect(await page.locator('#drivers-table th[data-column="requests"]').getAttribute("aria-sort")).toBe(
      "descending",
    );
    let requests = (await driversTable()).rows.map((r) => r.requests);
    expect(requests).toEqual([...requests].sort((a, b) => b - a));
    await page.locator('#drivers-table th[data-column="key"] button').click();
    expect(await page.locator('#drivers-table th[data-column="key"]').getAttribute("aria-sort")).toBe(
      "ascending",
    );
    const keys = (await driversTable()).rows.map((r) => r.key!);
    expect(keys).toEqual([...keys].sort());
    requests = (await driversTable()).rows.map((r) => r.requests);
    expect(requests.reduce((a, b) => a + b, 0)).toBe(REQUESTS);
  });

  it("filters every panel by a use case chosen from the period's use cases", async () => {
    const useCases = await reportJson("use-case");
    const filter = page.locator("#use-case-filter");
    expect(
      await filter.locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
    ).toEqual(["", ...useCases.rows.map((r) => r.key)]);
    const chosen = useCases.rows.find((r) => r.key === "create_document")!;
    const byUser = JSON.parse(
      await cli("report", "--by", "user", "--use-case", "create_document", "--format", "json", "--db", path),
    ) as ReportResult;

    await filter.selectOption("create_document");
    await page.waitForFunction(
      (micros) => document.querySelector<HTMLElement>("#totals")?.dataset.costMicros === micros,
      String(chosen.costMicros),
    );
    await page.waitForFunction(
      (requests) =>
        document.querySelector<HTMLElement>("#drivers-table tfoot tr")?.dataset.requests === requests,
      String(chosen.requests),
    );
    expect(await page.locator('[data-total="requests"]').textContent()).toBe(formatCount(chosen.requests));
    // The previous test left the table sorted by user: the same rows, in that order.
    const byKey = (a: ReportResult["rows"][number], b: ReportResult["rows"][number]) =>
      String(a.key).localeCompare(String(b.key));
    expect((await driversTable()).rows.map((r) => [r.key, r.requests, r.costMicros])).toEqual(
      byUser.rows.sort(byKey).map((r) => [r.key, r.requests, r.costMicros]),
    );
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("useCase")).toBe("create_document");
    expect(await page.locator("#period-detail").textContent()).toMatch(/^use case create_document · /);

    await filter.selectOption("");
    await page.waitForFunction(
      (requests) => document.querySelector<HTMLElement>("#totals")?.dataset.requests === requests,
      String(REQUESTS),
    );
  });

  it("switches the period (preset and custom range) and the chart's buckets, kept in the URL", async () => {
    const hash = () => new URLSearchParams(new URL(page.url()).hash.slice(1));
    const pressed = (selector: string) => page.locator(selector).getAttribute("aria-pressed");

    // The demo ran moments ago: the last 24 hours hold every call, charted by the hour.
    await page.locator('#period button[data-period="24h"]').click();
    await page.waitForFunction(
      () => document.querySelector("#period-label")?.textContent === "in the last 24 hours",
    );
    expect(hash().get("period")).toBe("24h");
    expect(await pressed('#period button[data-period="24h"]')).toBe("true");
    await page.waitForSelector('#bucket button[data-bucket="hour"][aria-pressed="true"]');
    await page.waitForFunction(
      (requests) => document.querySelector<HTMLElement>("#totals")?.dataset.requests === requests,
      String(REQUESTS),
    );
    await page.locator('#bucket button[data-bucket="day"]').click();
    await page.waitForSelector('#bucket button[data-bucket="day"][aria-pressed="true"]');
    expect(hash().get("bucket")).toBe("day");
    expect(await page.locator("#spend-note").textContent()).toMatch(/^UTC days, stacked by use case/);

    // A custom range of the demo's days (UTC, both inclusive): the form opens, and applying it loads them.
    const [first, last] = (
      db.prepare("SELECT min(ts_ms), max(ts_ms) FROM events").raw().get() as [number, number]
    ).map((ms) => new Date(ms).toISOString().slice(0, 10)) as [string, string];
    await page.locator('#period button[data-period="custom"]').click();
    expect(await page.locator("#custom-range").isVisible()).toBe(true);
    await page.locator('#custom-range input[name="since"]').fill(first);
    await page.locator('#custom-range input[name="until"]').fill(last);
    await page.locator('#custom-range button[type="submit"]').click();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get("period") === "custom");
    expect([hash().get("since"), hash().get("until")]).toEqual([first, last]);
    await page.waitForFunction(
      (requests) => document.querySelector<HTMLElement>("#totals")?.dataset.requests === requests,
      String(REQUESTS),
    );

    // Back to all time; the tabs also move with the arrow keys.
    await page.locator('#period button[data-period="all"]').click();
    await page.waitForFunction(() => document.querySelector("#period-label")?.textContent === "all time");
    expect(await page.locator("#custom-range").isHidden()).toBe(true);
    await page.getByRole("tab", { name: "Users" }).focus();
    await page.keyboard.press("ArrowRight");
    await page.waitForSelector('#drivers-table[data-by="use-case"]');
    expect(await page.getByRole("tab", { name: "Use cases" }).getAttribute("aria-selected")).toBe("true");
    expect(hash().get("tab")).toBe("use-cases");
  });

  it("drills into an instance: its calls, steps and models", async () => {
    await selectTab("Instances", "instance");
    const instances = await reportJson("instance");
    const top = instances.rows[0]!;
    const table = await driversTable();
    expect(table.rows[0]).toMatchObject({ key: top.key, requests: top.requests, costMicros: top.costMicros });
    expect(table.rows[0]!.cells[1]).toBe(top.useCaseName);

    await page.locator("#drivers-table tbody tr").first().getByRole("button").click();
    await page.waitForSelector("#instance-calls tbody tr");
    const dialog = page.locator("#instance-dialog");
    expect(await dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(true);
    expect(await page.locator("#instance-title").textContent()).toBe(top.key);
    expect(await page.locator("#instance-use-case").textContent()).toBe(`Instance of ${top.useCaseName}`);
    expect(await page.locator("#instance-totals").getAttribute("data-cost-micros")).toBe(
      String(top.costMicros),
    );
    expect(await page.locator("#instance-calls tbody tr").count()).toBe(top.requests);
    expect(await dialog.locator("canvas").count()).toBe(1);
    expect(await dialog.getByRole("heading", { name: "Steps" }).count()).toBe(1);
    expect(await dialog.getByRole("heading", { name: "Models" }).count()).toBe(1);
    // The drill-down is linkable: its id is in the URL.
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("instance")).toBe(top.key);
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(ASSETS, "dashboard-instance.png") });

    await page.keyboard.press("Escape");
    expect(await dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("instance")).toBeNull();
  });

  it("had no console errors, failed requests or page errors", () => {
    expect(problems).toEqual([]);
  });
});
