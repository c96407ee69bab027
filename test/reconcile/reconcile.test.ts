import { afterEach, describe, expect, it } from "vitest";
import type { MockProvider } from "../../src/testing.js";
import {
  ANTHROPIC_KEY,
  adminMock,
  chat,
  cli,
  clients,
  message,
  OPENAI_KEY,
  tempLedger,
  trackContext,
  tracked,
} from "./helpers.js";

let mock: MockProvider | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

interface Output {
  rows: Record<string, unknown>[];
  totals: { providerUsd: number; ledgerUsd: number; diffUsd: number; coveragePct: number | null };
}

describe("costtrail reconcile against the mock's admin API", () => {
  it("an exact match: exit 0, coverage 100 %, provider and ledger figures equal", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await trackContext({ useCaseName: "support", accountName: "acme" }, async () => {
        await chat(openai, "What does a call cost?");
        await chat(openai, "And two calls?");
        await chat(openai, "Three?", "gpt-4o");
      });
    });
    const run = await cli(
      { OPENAI_ADMIN_KEY: OPENAI_KEY },
      "reconcile",
      "--provider",
      "openai",
      "--db",
      db,
      "--base-url",
      mock.url,
      "--format",
      "json",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Output;
    expect(out.rows.map((r) => r["model"]).sort()).toEqual(["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18"]);
    for (const row of out.rows) {
      expect(row).toMatchObject({ coveragePct: 100, diffUsd: 0, withinTolerance: true, cause: null });
      expect(row["ledgerUsd"]).toBe(row["providerUsd"]);
      expect(row["ledgerRequests"]).toBe(row["providerRequests"]);
      expect(row["ledgerInputTokens"]).toBe(row["providerInputTokens"]);
      expect(row["ledgerOutputTokens"]).toBe(row["providerOutputTokens"]);
    }
    expect(out.totals.coveragePct).toBe(100);
    expect(out.totals.providerUsd).toBeGreaterThan(0);
    expect(Object.keys(out.rows[0]!)).toEqual(
      expect.arrayContaining([
        "day",
        "model",
        "providerUsd",
        "ledgerUsd",
        "diffUsd",
        "providerRequests",
        "ledgerRequests",
        "providerInputTokens",
        "ledgerInputTokens",
        "providerOutputTokens",
        "ledgerOutputTokens",
        "coveragePct",
      ]),
    );
  });
});

const DAY = 86_400_000;
const json = (run: { stdout: string }) => JSON.parse(run.stdout) as Output;
const openaiEnv = { OPENAI_ADMIN_KEY: OPENAI_KEY };
const anthropicEnv = { ANTHROPIC_ADMIN_KEY: ANTHROPIC_KEY };

describe("gaps, drift and the likely cause", () => {
  it("calls made without costtrail: exit 3, coverage below 100 %, the right totals", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await chat(openai, "tracked one");
      await chat(openai, "tracked two");
    });
    const trackedRequests = mock.requests.length;
    // The same provider account, called by code that never ran instrument().
    await chat(clients(mock).openai, "a call the ledger never sees");
    const served = mock.requests.slice(0, trackedRequests + 1);
    expect(served.every((r) => r.status === 200)).toBe(true);

    const run = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url, "--format", "json");
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^costtrail: 1 row\(s\) outside the ±2% tolerance\n$/);
    const out = json(run);
    expect(out.rows).toHaveLength(1);
    const row = out.rows[0]!;
    expect(row).toMatchObject({ providerRequests: 3, ledgerRequests: 2, withinTolerance: false });
    expect(String(row["cause"])).toMatch(/1 request\(s\) missing: calls made without costtrail/);
    const usage = served.map((r) => r.usage!);
    expect(row["providerInputTokens"]).toBe(usage.reduce((n, u) => n + u.inputTokens, 0));
    expect(row["ledgerInputTokens"]).toBe(usage.slice(0, 2).reduce((n, u) => n + u.inputTokens, 0));
    expect(out.totals.coveragePct).toBeLessThan(100);
    expect(out.totals.coveragePct).toBeGreaterThan(0);
    expect(out.totals.diffUsd).toBeCloseTo(out.totals.ledgerUsd - out.totals.providerUsd, 9);

    const table = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url);
    expect(table.code).toBe(3);
    expect(table.stdout).toMatch(/^!\s+\d{4}-\d{2}-\d{2}\s+gpt-4o-mini-2024-07-18\s/m);
    expect(table.stdout).toMatch(/^! \d{4}-\d{2}-\d{2} gpt-4o-mini-2024-07-18: 1 request\(s\) missing/m);
  });

  it("a price-table drift: tokens and requests equal, cost differs, the table blames the price table", async () => {
    // The provider bills gpt-4o-mini at prices costtrail's table does not have.
    mock = await adminMock({
      prices: [{ model: "gpt-4o-mini-2024-07-18", inputPerMTok: 0.3, outputPerMTok: 1.2 }],
    });
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await chat(openai, "priced differently");
    });
    const run = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url, "--format", "json");
    expect(run.code).toBe(3);
    const row = json(run).rows[0]!;
    expect(row["providerInputTokens"]).toBe(row["ledgerInputTokens"]);
    expect(row["providerOutputTokens"]).toBe(row["ledgerOutputTokens"]);
    expect(row["providerRequests"]).toBe(row["ledgerRequests"]);
    expect(row["providerUsd"]).not.toBe(row["ledgerUsd"]);
    // The override's arithmetic, tokens × $/MTok, billed in whole micro-dollars per meter.
    const usage = mock.requests[0]!.usage!;
    const expected = (usage.inputTokens * 0.3 + usage.outputTokens * 1.2) / 1e6;
    expect(Math.abs(Number(row["providerUsd"]) - expected)).toBeLessThanOrEqual(2e-6);
    expect(String(row["cause"])).toMatch(/tokens match but cost differs: costtrail's price table/);
    const table = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url);
    expect(table.stdout).toContain("price table");
  });

  it("a model the ledger never saw: a service without costtrail", async () => {
    mock = await adminMock({
      unseen: [
        { provider: "openai", model: "gpt-4.1-2025-04-14", usage: { inputTokens: 5000, outputTokens: 100 } },
      ],
    });
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await chat(openai, "the only tracked call");
    });
    const run = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url, "--format", "json");
    expect(run.code).toBe(3);
    const rows = json(run).rows;
    const unseen = rows.find((r) => r["model"] === "gpt-4.1-2025-04-14")!;
    expect(unseen).toMatchObject({ ledgerUsd: 0, ledgerRequests: 0, providerRequests: 1, coveragePct: 0 });
    expect(String(unseen["cause"])).toMatch(/model unknown to the ledger/);
    expect(rows.find((r) => r["model"] === "gpt-4o-mini-2024-07-18")).toMatchObject({
      withinTolerance: true,
    });
  });

  it("within a wider --tolerance the same gap exits 0", async () => {
    mock = await adminMock({
      unseen: [
        { provider: "openai", model: "gpt-4o-mini-2024-07-18", usage: { inputTokens: 20, outputTokens: 0 } },
      ],
    });
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await chat(openai, "a prompt whose answer costs more than twenty unseen input tokens");
    });
    const strict = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url, "--tolerance", "0%");
    expect(strict.code).toBe(3);
    const loose = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url, "--tolerance", "50%");
    expect(loose.code).toBe(0);
    expect(loose.stdout).toContain("every row is within tolerance");
  });
});

describe("paging and provider errors", () => {
  it("follows every page: one bucket per page over several days", async () => {
    const now = Date.now();
    mock = await adminMock({
      pageSize: 1,
      unseen: [0, 2, 4].map((daysAgo) => ({
        provider: "openai" as const,
        model: "gpt-4o-mini-2024-07-18",
        usage: { inputTokens: 1_000_000 * (daysAgo + 1), outputTokens: 0 },
        at: now - daysAgo * DAY,
      })),
    });
    const db = tempLedger();
    await tracked(mock, db, async () => {});
    const run = await cli(
      openaiEnv,
      "reconcile",
      "--db",
      db,
      "--base-url",
      mock.url,
      "--since",
      "6d",
      "--format",
      "json",
    );
    expect(run.code).toBe(3);
    const out = json(run);
    expect(out.rows.map((r) => r["providerInputTokens"])).toEqual([5_000_000, 3_000_000, 1_000_000]);
    const costPages = mock.requests.filter((r) => r.path === "/v1/organization/costs");
    // 7 day buckets (6 days back, rounded down to midnight, through today), one per page.
    expect(costPages).toHaveLength(7);
    expect(costPages.slice(1).every((r) => /^page_\d+$/.test(r.query["page"] ?? ""))).toBe(true);
    expect(out.totals.providerUsd).toBeCloseTo(
      out.rows.reduce((n, r) => n + Number(r["providerUsd"]), 0),
      9,
    );
  });

  it("429 then success: waits as retry-after says and completes", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await chat(openai, "one call");
    });
    mock.enqueueFault({ operation: "admin_costs", status: 429, retryAfterSeconds: 0.05, times: 2 });
    mock.enqueueFault({ operation: "admin_usage", status: 503, retryAfterSeconds: 0.01 });
    const run = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url, "--format", "json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(mock.requests.filter((r) => r.fault !== undefined).map((r) => r.status)).toEqual([429, 429, 503]);
    expect(json(run).totals.coveragePct).toBe(100);
  });

  it("a 429 that never ends: exit 1 after bounded attempts", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async () => {});
    mock.enqueueFault({ operation: "admin_costs", status: 429, retryAfterSeconds: 0.01, times: 50 });
    const run = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^costtrail: OpenAI costs: HTTP 429 from http:\/\/127\.0\.0\.1:\d+\/v1\/organization\/costs after 5 attempts/,
    );
    expect(mock.requests.filter((r) => r.path === "/v1/organization/costs")).toHaveLength(5);
  });

  it("401: a clear error naming the admin key problem, exit 1, no run stored", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async () => {});
    const run = await cli(
      { OPENAI_ADMIN_KEY: "sk-admin-wrong-0000" },
      "reconcile",
      "--db",
      db,
      "--base-url",
      mock.url,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^costtrail: OpenAI costs: the admin key was refused \(HTTP 401: .*\)\. Check that it is an admin key/,
    );
    expect(run.stderr).not.toContain("sk-admin-wrong-0000");

    const anthropic = await cli(
      { ANTHROPIC_ADMIN_KEY: "sk-ant-wrong" },
      "reconcile",
      "--db",
      db,
      "--base-url",
      mock.url,
    );
    expect(anthropic.code).toBe(1);
    expect(anthropic.stderr).toMatch(
      /^costtrail: Anthropic usage report: the admin key was refused \(HTTP 401/,
    );
  });

  it.each([401, 403])(
    "a %i injected with the faults mechanism is reported the same way, never retried",
    async (status) => {
      mock = await adminMock();
      const db = tempLedger();
      await tracked(mock, db, async () => {});
      mock.enqueueFault({ provider: "openai", operation: "admin_usage", status, times: 5 });
      const run = await cli(openaiEnv, "reconcile", "--db", db, "--base-url", mock.url);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        new RegExp(`^costtrail: OpenAI usage/completions: the admin key was refused \\(HTTP ${status}`),
      );
      expect(mock.requests.filter((r) => r.path === "/v1/organization/usage/completions")).toHaveLength(1);
    },
  );
});

describe("keys and flags", () => {
  it("a missing key: exit 2, one line naming the variable", async () => {
    const db = tempLedger();
    mock = await adminMock();
    await tracked(mock, db, async () => {});
    const openai = await cli({}, "reconcile", "--provider", "openai", "--db", db, "--base-url", mock.url);
    expect(openai).toMatchObject({ code: 2, stdout: "" });
    expect(openai.stderr).toMatch(/^costtrail: OPENAI_ADMIN_KEY is not set .*\n$/);
    const anthropic = await cli(openaiEnv, "reconcile", "--provider", "anthropic", "--db", db);
    expect(anthropic.code).toBe(2);
    expect(anthropic.stderr).toMatch(/^costtrail: ANTHROPIC_ADMIN_KEY is not set/);
    const none = await cli({}, "reconcile", "--db", db);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/OPENAI_ADMIN_KEY or ANTHROPIC_ADMIN_KEY/);
    expect(mock.requests).toHaveLength(0);
  });

  it.each([
    [["--provider", "azure"], "--provider"],
    [["--since", "yesterday"], "--since"],
    [["--until", "soon"], "--until"],
    [["--group-by", "week"], "--group-by"],
    [["--tolerance", "two"], "--tolerance"],
    [["--tolerance", "150%"], "--tolerance"],
    [["--format", "xml"], "--format"],
    [["--base-url", "ftp://x"], "--base-url"],
    [["--since", "2026-01-02", "--until", "2026-01-01"], "--until"],
  ])("bad input %j: exit 2 naming %s", async (flags, name) => {
    const db = tempLedger();
    const run = await cli(openaiEnv, "reconcile", "--db", db, ...flags);
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(`costtrail: ${name}: `)).toBe(true);
  });

  it("a missing ledger file: exit 2", async () => {
    const run = await cli(openaiEnv, "reconcile", "--db", tempLedger("absent.db"));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^costtrail: no ledger at .*absent\.db/);
  });
});

describe("Anthropic", () => {
  it("an exact match over the usage and cost reports (cents as decimal strings), cache writes and reads included", async () => {
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
    const served = mock.requests.map((r) => r.usage!);
    expect(served[0]!.cacheWriteTokens).toBeGreaterThan(0);
    expect(served[1]!.cacheReadTokens).toBeGreaterThan(0);
    const run = await cli(anthropicEnv, "reconcile", "--db", db, "--base-url", mock.url, "--format", "json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = json(run);
    expect(out.rows.map((r) => r["model"]).sort()).toEqual([
      "claude-haiku-4-5-20251001",
      "claude-sonnet-4-5-20250929",
    ]);
    for (const row of out.rows) {
      expect(row).toMatchObject({ provider: "anthropic", coveragePct: 100, providerRequests: null });
      expect(row["providerInputTokens"]).toBe(row["ledgerInputTokens"]);
    }
    const cost = mock.requests.find((r) => r.path === "/v1/organizations/cost_report")!;
    expect(cost.headers["x-api-key"]).toBe(ANTHROPIC_KEY);
    expect(cost.headers["anthropic-version"]).toBe("2023-06-01");
  });

  it("code execution appears only in the cost report: its own row, blamed on a charge without tokens", async () => {
    mock = await adminMock({
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
      await message(anthropic, "a tracked message");
    });
    const run = await cli(anthropicEnv, "reconcile", "--db", db, "--base-url", mock.url, "--format", "json");
    expect(run.code).toBe(3);
    const charge = json(run).rows.find((r) => r["model"] === "Code Execution Usage")!;
    expect(charge).toMatchObject({ providerUsd: 0.05, ledgerUsd: 0, providerInputTokens: 0 });
    expect(String(charge["cause"])).toMatch(/a charge without tokens/);
  });
});

describe("both providers, grouping, csv", () => {
  it("both keys set and no --provider: both reconciled; --group-by day folds models", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async ({ openai, anthropic }) => {
      await chat(openai, "an openai call");
      await chat(openai, "another model", "gpt-4o");
      await message(anthropic, "an anthropic call");
    });
    const env = { ...openaiEnv, ...anthropicEnv };
    const byDay = await cli(
      env,
      "reconcile",
      "--db",
      db,
      "--base-url",
      mock.url,
      "--group-by",
      "day",
      "--format",
      "json",
    );
    expect(byDay.code).toBe(0);
    const rows = json(byDay).rows;
    expect(rows.map((r) => [r["provider"], r["model"]])).toEqual([
      ["openai", "*"],
      ["anthropic", "*"],
    ]);
    expect(rows[0]!["providerRequests"]).toBe(2);

    const byModel = await cli(
      env,
      "reconcile",
      "--db",
      db,
      "--base-url",
      mock.url,
      "--group-by",
      "model",
      "--format",
      "csv",
    );
    expect(byModel.code).toBe(0);
    const lines = byModel.stdout.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "provider,day,model,project,providerUsd,ledgerUsd,diffUsd,providerRequests,ledgerRequests,providerInputTokens," +
        "ledgerInputTokens,providerOutputTokens,ledgerOutputTokens,coveragePct,withinTolerance,cause",
    );
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 3).join(","))).toEqual([
      "openai,*,gpt-4o-2024-08-06",
      "openai,*,gpt-4o-mini-2024-07-18",
      "anthropic,*,claude-sonnet-4-5-20250929",
    ]);
  });

  it("--group-by project: the provider's projects as rows; the ledger compared on the totals", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await chat(openai, "default project");
    });
    const run = await cli(
      openaiEnv,
      "reconcile",
      "--db",
      db,
      "--base-url",
      mock.url,
      "--group-by",
      "project",
      "--format",
      "json",
    );
    expect(run.code).toBe(0);
    const out = json(run);
    expect(out.rows).toEqual([
      expect.objectContaining({ project: "proj_default", ledgerUsd: null, coveragePct: null }),
    ]);
    expect(out.totals.coveragePct).toBe(100);
  });
});
