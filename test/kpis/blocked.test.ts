import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrument, LimitExceededError, trackContext } from "../../src/index.js";
import { openLedgerReader } from "../../src/ledger/reader.js";
import { handleApi } from "../../src/server/api.js";
import { type MockProvider, startMockProvider } from "../../src/testing.js";
import { freshDatabase } from "../fleet/pg-helpers.js";
import { tempDir } from "../ledger/helpers.js";
import { cli } from "../limits/helpers.js";

// Calls refused by a block limit, made through a real SDK client, on a SQLite file and on a Postgres ledger
// (whose limits are the fleet gate's): each must show as blocked in report, limits list, kpis and the API; and
// the same ledger's forecast reads the limits and spend rates of either ledger.
const dir = tempDir("costtrail-blocked-");
const pg = freshDatabase("blocked");
const LEDGERS = [
  { ledger: "SQLite", db: () => join(dir, "ledger.db") },
  { ledger: "Postgres", db: () => pg.url() },
];

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(() => mock?.close());

describe.each(LEDGERS)("blocked calls are visible, limits forecast ($ledger ledger)", ({ db: ledger }) => {
  let db: string;
  beforeAll(async () => {
    db = ledger();
    const costtrail = instrument({
      ledger: db,
      globalInstrumentation: false,
      limits: [
        { id: "trial", maxUsd: 0, window: "day", mode: "block", scope: { accountName: "trial" } },
        { id: "paying", maxUsd: 1, window: "total", mode: "allow", scope: { accountName: "paying" } },
      ],
      logger: { warn: () => {}, error: () => {} },
    });
    await costtrail.ready;
    const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0 });
    const call = () =>
      openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    await trackContext({ useCaseName: "chat", accountName: "paying" }, call);
    for (let i = 0; i < 3; i++) {
      await expect(trackContext({ useCaseName: "chat", accountName: "trial" }, call)).rejects.toBeInstanceOf(
        LimitExceededError,
      );
    }
    await costtrail.shutdown();
  });

  it("report: a blocked count per row and in the totals, a blocked column in the table", async () => {
    const json = JSON.parse((await cli("report", "--by", "account", "--db", db, "--format", "json")).out);
    const byKey = Object.fromEntries(
      json.rows.map((r: { key: string; requests: number; blocked: number; errors: number }) => [
        r.key,
        { requests: r.requests, blocked: r.blocked, errors: r.errors },
      ]),
    );
    expect(byKey).toEqual({
      paying: { requests: 1, blocked: 0, errors: 0 },
      trial: { requests: 3, blocked: 3, errors: 0 },
    });
    expect(json.totals.blocked).toBe(3);
    // Blocked calls cost nothing: the account's cost is zero.
    expect(json.rows.find((r: { key: string }) => r.key === "trial")).toMatchObject({ costNanos: "0" });
    const table = (await cli("report", "--by", "account", "--db", db)).out.split("\n");
    expect(table[0]).toMatch(/^account\s+requests\s+errors\s+blocked\s+input tokens/);
    expect(table.find((l) => l.startsWith("trial"))).toMatch(/^trial\s+3\s+0\s+3\s/);
  });

  it("limits list: how many calls each limit refused in its window", async () => {
    const json = JSON.parse((await cli("limits", "list", "--db", db, "--format", "json")).out);
    expect(json).toEqual([
      expect.objectContaining({ id: "paying", blocked: 0 }),
      expect.objectContaining({ id: "trial", blocked: 3 }),
    ]);
    const table = (await cli("limits", "list", "--db", db)).out.split("\n");
    expect(table.find((l) => l.startsWith("trial"))).toMatch(/^trial\s.*\s3\s+\d{4}-/);
  });

  it("costtrail kpis: blocked calls per use case", async () => {
    const json = JSON.parse((await cli("kpis", "--db", db, "--format", "json")).out);
    expect(json.useCases).toEqual([expect.objectContaining({ useCase: "chat", requests: 4, blocked: 3 })]);
  });

  it("report --forecast: the use case's spend rate, and when each limit is reached at it", async () => {
    const report = JSON.parse((await cli("report", "--by", "account", "--db", db, "--format", "json")).out);
    const paidMicros = report.rows.find((r: { key: string }) => r.key === "paying").costMicros as number;
    expect(paidMicros).toBeGreaterThan(0);
    const r = await cli("report", "--forecast", "--db", db, "--format", "json");
    expect(r.err).toBe("");
    const result = JSON.parse(r.out);
    expect(result.useCases).toEqual([
      {
        useCase: "chat",
        last1dMicros: paidMicros,
        last7dMicros: paidMicros,
        perDay7dMicros: Math.round(paidMicros / 7),
        next30dAt7dRateMicros: Math.round(paidMicros / 7) * 30,
      },
    ]);
    const now = Date.parse(result.now);
    const paying = result.limits.find((l: { id: string }) => l.id === "paying");
    expect(paying).toMatchObject({
      window: "total",
      mode: "allow",
      maxMicros: 1_000_000,
      spentMicros: paidMicros,
      remainingMicros: 1_000_000 - paidMicros,
      resetsAt: null,
      last1dMicros: paidMicros,
    });
    expect(Date.parse(paying.reachedAt1d) - now).toBe(
      Math.ceil(((1_000_000 - paidMicros) / paidMicros) * 86_400_000),
    );
    // A $0 block limit is reached already.
    expect(result.limits.find((l: { id: string }) => l.id === "trial")).toMatchObject({
      maxMicros: 0,
      reachedAt1d: "now",
      reachedAt7d: "now",
    });
  });

  it("the dashboard's API: blocked in the totals, the report rows, the limits card and the KPI use cases", async () => {
    const conn = openLedgerReader(db);
    try {
      const api = (path: string, query = "") => handleApi({ db: conn }, path, new URLSearchParams(query));
      const totals = (await api("/api/totals")) as { blocked: number; totals: { requests: number } };
      expect(totals.blocked).toBe(3);
      expect(totals.totals.requests).toBe(4);
      const report = (await api("/api/report", "by=account")) as {
        rows: { key: string; blocked: number }[];
        totals: { blocked: number };
      };
      expect(report.rows.map((r) => [r.key, r.blocked])).toEqual(
        expect.arrayContaining([
          ["paying", 0],
          ["trial", 3],
        ]),
      );
      expect(report.totals.blocked).toBe(3);
      const limits = (await api("/api/limits")) as { limits: { id: string; blocked: number }[] };
      expect(limits.limits).toEqual([
        expect.objectContaining({ id: "paying", blocked: 0 }),
        expect.objectContaining({ id: "trial", blocked: 3 }),
      ]);
      const kpis = (await api("/api/kpis")) as { useCases: { useCase: string; blocked: number }[] };
      expect(kpis.useCases).toEqual([expect.objectContaining({ useCase: "chat", blocked: 3 })]);
    } finally {
      conn.close();
    }
  });
});
