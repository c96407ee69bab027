// `costtrail reconcile --anthropic-api analytics`: Anthropic's Usage and Cost Analytics API (usage_report and
// cost_report under /v1/organizations/analytics/), served by the mock from what it actually answered.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { getAllBuckets } from "../../src/reconcile/http.js";
import type { MockProvider } from "../../src/testing.js";
import { ANTHROPIC_KEY, adminMock, cli, message, tempLedger, tracked } from "./helpers.js";

const DAY = 86_400_000;
const env = { ANTHROPIC_ADMIN_KEY: ANTHROPIC_KEY };
const USAGE = "/v1/organizations/analytics/usage_report";
const COSTS = "/v1/organizations/analytics/cost_report";

let mock: MockProvider | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

interface Output {
  rows: Record<string, unknown>[];
  totals: { providerUsd: number; ledgerUsd: number; diffUsd: number; coveragePct: number | null };
}

async function reconcile(db: string, ...flags: string[]) {
  const run = await cli(
    env,
    "reconcile",
    "--provider",
    "anthropic",
    "--anthropic-api",
    "analytics",
    "--db",
    db,
    "--base-url",
    mock!.url,
    "--format",
    "json",
    ...flags,
  );
  // The key never appears in any output.
  expect(run.stdout + run.stderr).not.toContain(ANTHROPIC_KEY);
  return { ...run, out: () => JSON.parse(run.stdout) as Output };
}

describe("reconcile against Anthropic's Usage and Cost Analytics API", () => {
  it("an exact match: cost, tokens (cache writes and reads) and request counts, exit 0", async () => {
    mock = await adminMock();
    const db = tempLedger();
    const system = [
      { type: "text" as const, text: "policy ".repeat(800), cache_control: { type: "ephemeral" as const } },
    ];
    await tracked(mock, db, async ({ anthropic }) => {
      for (const q of ["first", "second"]) {
        await anthropic.messages.create({
          model: "claude-sonnet-4-5",
          max_tokens: 100,
          system,
          messages: [{ role: "user", content: q }],
        });
      }
      await message(anthropic, "a haiku call", "claude-haiku-4-5");
    });
    const run = await reconcile(db);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = run.out();
    expect(out.rows.map((r) => [r["model"], r["providerRequests"], r["ledgerRequests"]])).toEqual([
      ["claude-haiku-4-5-20251001", 1, 1],
      ["claude-sonnet-4-5-20250929", 2, 2],
    ]);
    for (const row of out.rows) {
      expect(row).toMatchObject({
        provider: "anthropic",
        coveragePct: 100,
        diffUsd: 0,
        withinTolerance: true,
      });
      expect(row["providerInputTokens"]).toBe(row["ledgerInputTokens"]);
      expect(row["providerOutputTokens"]).toBe(row["ledgerOutputTokens"]);
    }
    expect(out.totals.coveragePct).toBe(100);
    // The Analytics endpoints, not the Admin API's reports; grouped as documented; the key as x-api-key.
    expect(mock.requests.some((r) => r.path === "/v1/organizations/cost_report")).toBe(false);
    const usage = mock.requests.find((r) => r.path === USAGE)!;
    const cost = mock.requests.find((r) => r.path === COSTS)!;
    expect(usage.headers["x-api-key"]).toBe(ANTHROPIC_KEY);
    expect(usage.headers["anthropic-version"]).toBe("2023-06-01");
    expect([cost.query["bucket_width"], cost.query["limit"]]).toEqual(["1d", "31"]);
  });

  it("calls made without costtrail: exit 3, coverage below 100 %, requests missing", async () => {
    mock = await adminMock({
      unseen: [
        {
          provider: "anthropic",
          model: "claude-haiku-4-5-20251001",
          requests: 4,
          usage: { inputTokens: 4000, outputTokens: 800 },
        },
      ],
      extraCharges: [
        {
          provider: "anthropic",
          usd: "0.05",
          description: "Code Execution Usage",
          costType: "code_execution",
        },
      ],
    });
    const db = tempLedger();
    await tracked(mock, db, async ({ anthropic }) => {
      await message(anthropic, "one tracked call", "claude-haiku-4-5");
    });
    const run = await reconcile(db);
    expect(run.code).toBe(3);
    const out = run.out();
    const haiku = out.rows.find((r) => r["model"] === "claude-haiku-4-5-20251001")!;
    expect(haiku).toMatchObject({ providerRequests: 5, ledgerRequests: 1, withinTolerance: false });
    expect(Number(haiku["coveragePct"])).toBeLessThan(100);
    expect(String(haiku["cause"])).toMatch(/4 request\(s\) missing/);
    // Code execution has no model in the Analytics API: its own row, a charge without tokens.
    const charge = out.rows.find((r) => r["model"] === "Code Execution Usage")!;
    expect(charge).toMatchObject({ providerUsd: 0.05, ledgerUsd: 0 });
    expect(String(charge["cause"])).toMatch(/a charge without tokens/);
    expect(out.totals.providerUsd).toBeCloseTo(
      out.rows.reduce((n, r) => n + Number(r["providerUsd"]), 0),
      9,
    );
    expect(out.totals.ledgerUsd).toBe(Number(haiku["ledgerUsd"]));
  });

  it("a window over 31 days is read in slices of at most 31 days, every page of each", async () => {
    const now = Date.now();
    mock = await adminMock({
      pageSize: 5,
      unseen: [35, 3].map((daysAgo) => ({
        provider: "anthropic" as const,
        model: "claude-haiku-4-5-20251001",
        usage: { inputTokens: 1000 * daysAgo, outputTokens: 0 },
        at: now - daysAgo * DAY,
      })),
    });
    const db = tempLedger();
    await tracked(mock, db, async () => {});
    const run = await reconcile(db, "--since", "40d");
    expect(run.stderr).toBe("costtrail: 2 row(s) outside the ±2% tolerance\n");
    expect(run.code).toBe(3);
    expect(run.out().rows.map((r) => r["providerInputTokens"])).toEqual([35_000, 3_000]);
    const windows = mock.requests
      .filter((r) => r.path === USAGE && r.query["page"] === undefined)
      .map((r) => [Date.parse(r.query["starting_at"]!), Date.parse(r.query["ending_at"]!)] as const);
    expect(windows).toHaveLength(2);
    expect(windows[0]![1]).toBe(windows[1]![0]);
    for (const [start, end] of windows) expect(end - start).toBeLessThanOrEqual(31 * DAY);
    // 41 day buckets (40 days back, from midnight, through today) at 5 per page: 7 + 2 pages per endpoint.
    expect(mock.requests.filter((r) => r.path === USAGE)).toHaveLength(9);
    expect(mock.requests.filter((r) => r.path === COSTS)).toHaveLength(9);
  });

  it("a 401 is the clear admin-key error, exit 1", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async () => {});
    const run = await cli(
      { ANTHROPIC_ADMIN_KEY: "sk-ant-wrong-0000" },
      "reconcile",
      "--anthropic-api",
      "analytics",
      "--db",
      db,
      "--base-url",
      mock.url,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^costtrail: Anthropic analytics usage report: the admin key was refused \(HTTP 401/,
    );
    expect(run.stderr).not.toContain("sk-ant-wrong-0000");
  });

  it("flags: --anthropic-api takes admin or analytics; --group-by project has no workspaces there (exit 2)", async () => {
    const db = tempLedger();
    const bad = await cli(env, "reconcile", "--anthropic-api", "console", "--db", db);
    expect(bad).toMatchObject({ code: 2, stdout: "" });
    expect(bad.stderr).toMatch(/--anthropic-api: expected admin or analytics/);
    const project = await cli(
      env,
      "reconcile",
      "--anthropic-api",
      "analytics",
      "--group-by",
      "project",
      "--db",
      db,
    );
    expect(project).toMatchObject({ code: 2, stdout: "" });
    expect(project.stderr).toMatch(/--group-by project: Anthropic's Analytics API has no workspaces/);
  });
});

describe("paging through an expired cursor", () => {
  it("HTTP 410 on a later page restarts from the first page, once, without duplicating buckets", async () => {
    let expired = false;
    const seen: (string | null)[] = [];
    const server = createServer((req, res) => {
      const page = new URL(req.url!, "http://x").searchParams.get("page");
      seen.push(page);
      res.setHeader("content-type", "application/json");
      if (page === "p2" && !expired) {
        expired = true;
        res.statusCode = 410;
        res.end(JSON.stringify({ error: { message: "cursor expired" } }));
        return;
      }
      const body =
        page === null
          ? { data: [1, 2], has_more: true, next_page: "p2" }
          : { data: [3], has_more: false, next_page: null };
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/report`);
      expect(await getAllBuckets(url, {}, "test report")).toEqual([1, 2, 3]);
      expect(seen).toEqual([null, "p2", null, "p2"]);
    } finally {
      server.close();
    }
  });
});
