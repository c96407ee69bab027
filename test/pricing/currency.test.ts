// A local currency for reports and the dashboard (issue 17, item 6): rates stored in the ledger with the day they
// take effect (`costtrail fx set EUR 0.92 --date 2026-12-01`), applied with exact integer arithmetic to report
// figures while the ledger stays in USD. On a real SQLite file and a real Postgres ledger.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { PostgresLedgerSink } from "../../src/ledger/postgres/sink.js";
import { openLedgerReader } from "../../src/ledger/reader.js";
import { convertNanos, fxRateSchema } from "../../src/pricing/fx.js";
import { handleApi } from "../../src/server/api.js";
import type { UsageEvent } from "../../src/types.js";
import { freshDatabase } from "../fleet/pg-helpers.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { recordingLogger, records, tempDir } from "../ledger/helpers.js";

const dir = tempDir("costtrail-currency-");
const pg = freshDatabase("currency");
const file = join(dir, "ledger.db");
const NOW = Date.parse("2026-12-03T12:00:00Z");

function history(): UsageEvent[] {
  return [
    makeEvent("a", { ts: "2026-11-10T10:00:00Z", costNanos: 1_234_567, costMicros: 1_235 }),
    makeEvent("b", { ts: "2026-12-02T10:00:00Z", costNanos: 2_000_000, costMicros: 2_000 }),
  ];
}

beforeAll(async () => {
  const sqlite = openLedger(file, { logger: recordingLogger(), installExitHooks: false });
  sqlite.write(records(history()));
  await sqlite.shutdown();
  const postgres = new PostgresLedgerSink(pg.url(), {
    logger: recordingLogger(),
    installExitHooks: false,
    spoolRoot: join(dir, "spool"),
  });
  postgres.write(records(history()));
  await postgres.shutdown();
});

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe("exact conversion", () => {
  it("parses a rate as exact parts per 10^9 and rounds a conversion half up, once", () => {
    expect(fxRateSchema.parse("0.92")).toBe(920_000_000n);
    expect(fxRateSchema.parse("156.123456789")).toBe(156_123_456_789n);
    // 1,234,567 × 0.92 = 1,135,801.64; 0.5 rounds away from zero.
    expect(convertNanos(1_234_567n, 920_000_000n)).toBe(1_135_802n);
    expect(convertNanos(1n, 500_000_000n)).toBe(1n);
    expect(convertNanos(-1n, 500_000_000n)).toBe(-1n);
    // Beyond 2^53: still exact.
    expect(convertNanos(2n ** 70n, 920_000_000n)).toBe((2n ** 70n * 92n + 50n) / 100n);
  });
});

describe.each([
  ["SQLite", () => file],
  ["Postgres", () => pg.url()],
])("costtrail fx and report --currency on %s", (_name, db) => {
  it("stores dated rates and lists them", async () => {
    expect(await cli("fx", "set", "eur", "0.95", "--date", "2026-11-01", "--db", db())).toMatchObject({
      code: 0,
      stdout: "EUR 0.95 per USD from 2026-11-01\n",
    });
    await cli("fx", "set", "EUR", "0.9", "--date", "2026-12-01", "--db", db());
    // Set again for the same day: replaced.
    await cli("fx", "set", "EUR", "0.92", "--date", "2026-12-01", "--db", db());
    await cli("fx", "set", "EUR", "1.5", "--date", "2099-01-01", "--db", db());
    const list = await cli("fx", "list", "--db", db(), "--format", "json");
    expect(JSON.parse(list.stdout)).toEqual([
      { currency: "EUR", effectiveDate: "2026-11-01", rate: "0.95", ratePpb: "950000000" },
      { currency: "EUR", effectiveDate: "2026-12-01", rate: "0.92", ratePpb: "920000000" },
      { currency: "EUR", effectiveDate: "2099-01-01", rate: "1.5", ratePpb: "1500000000" },
    ]);
  });

  it("report --currency: USD as stored, the local figure at the rate in force at the report's end", async () => {
    const json = await cli(
      "report",
      "--by",
      "user",
      "--until",
      "2026-12-03",
      "--currency",
      "EUR",
      "--db",
      db(),
      "--format",
      "json",
    );
    expect(json.stderr).toBe("");
    const r = JSON.parse(json.stdout);
    expect(r.currency).toEqual({
      currency: "EUR",
      effectiveDate: "2026-12-01",
      rate: "0.92",
      ratePpb: "920000000",
    });
    // 3,234,567 nano-USD × 0.92 = 2,975,801.64 → 2,975,802 nano-EUR.
    expect(r.totals).toMatchObject({
      costNanos: "3234567",
      costLocalNanos: "2975802",
      estimatedLocalNanos: "0",
    });
    // Up to mid-November the November rate was in force.
    const nov = JSON.parse(
      (
        await cli(
          "report",
          "--by",
          "user",
          "--until",
          "2026-11-15",
          "--currency",
          "EUR",
          "--db",
          db(),
          "--format",
          "json",
        )
      ).stdout,
    );
    expect(nov.currency.rate).toBe("0.95");
    // 1,234,567 × 0.95 = 1,172,838.65 → 1,172,839.
    expect(nov.totals.costLocalNanos).toBe("1172839");

    const table = await cli(
      "report",
      "--by",
      "user",
      "--until",
      "2026-12-03",
      "--currency",
      "EUR",
      "--db",
      db(),
    );
    expect(table.stdout).toMatch(/cost USD\s+cost EUR/);
    expect(table.stdout).toMatch(/total\s.*0\.003235\s+0\.002976/);
    expect(table.stdout).toContain("EUR at 0.92 per USD (rate from 2026-12-01); the ledger is in USD");
    const csv = await cli(
      "report",
      "--by",
      "user",
      "--until",
      "2026-12-03",
      "--currency",
      "EUR",
      "--db",
      db(),
      "--format",
      "csv",
    );
    expect(csv.stdout.split(/\r?\n/)[0]).toMatch(/,estimated_nanos,cost_eur_nanos,estimated_eur_nanos$/);
  });

  it("the dashboard's report takes ?currency= and lists the rates", async () => {
    const conn = openLedgerReader(db());
    try {
      const ctx = { db: conn, now: () => NOW };
      const r = (await handleApi(ctx, "/api/report", new URLSearchParams("by=user&currency=EUR"))) as {
        currency: { rate: string };
        totals: { costLocalNanos: string };
      };
      expect(r.currency.rate).toBe("0.92");
      expect(r.totals.costLocalNanos).toBe("2975802");
      await expect(
        handleApi(ctx, "/api/report", new URLSearchParams("by=user&currency=EURO")),
      ).rejects.toThrow(/^currency: must be a three-letter ISO 4217 code/);
      await expect(
        handleApi(ctx, "/api/report", new URLSearchParams("by=user&currency=GBP")),
      ).rejects.toThrow(/^currency: no GBP rate dated on or before/);
      const fx = (await handleApi(ctx, "/api/fx", new URLSearchParams())) as { rates: unknown[] };
      expect(fx.rates).toHaveLength(3);
    } finally {
      conn.close();
    }
  });

  it("bad input is a usage error naming the argument or flag", async () => {
    const cases: [string[], RegExp][] = [
      [["fx", "set", "EURO", "0.92"], /^costtrail: <currency>: must be a three-letter ISO 4217 code/],
      [["fx", "set", "USD", "1"], /^costtrail: <currency>: is the ledger's own currency/],
      [
        ["fx", "set", "EUR", "0.1234567891"],
        /^costtrail: <rate>: must be a positive decimal with at most 9 decimals/,
      ],
      [["fx", "set", "EUR", "0"], /^costtrail: <rate>: must be greater than 0/],
      [["fx", "set", "EUR", "0.9", "--date", "2026-02-30"], /^costtrail: --date: is not a calendar date/],
      [
        ["report", "--by", "user", "--currency", "GBP"],
        /^costtrail: --currency: no GBP rate dated on or before/,
      ],
      [["report", "--by", "user", "--currency", "E1"], /^costtrail: --currency: must be a three-letter/],
    ];
    for (const [argv, message] of cases) {
      const run = await cli(...argv, "--db", db());
      expect(run.stderr, argv.join(" ")).toMatch(message);
      expect(run.code).toBe(2);
    }
  });
});
