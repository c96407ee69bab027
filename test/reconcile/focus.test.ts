import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { FOCUS_COLUMNS } from "../../src/export/focus.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import type { MockProvider } from "../../src/testing.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { recordingLogger, records } from "../ledger/helpers.js";
import { parseCsv } from "../support/csv.js";
import { adminMock, chat, cli, clients, OPENAI_KEY, tempLedger, trackContext, tracked } from "./helpers.js";

let mock: MockProvider | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

type Row = Record<string, unknown>;

/** Exact decimal USD text → nano-USD, independent of the code under test. */
function nanos(usd: string): bigint {
  const [whole, fraction = ""] = usd.replace("-", "").split(".");
  const n = BigInt(whole!) * 1_000_000_000n + BigInt(fraction.padEnd(9, "0"));
  return usd.startsWith("-") ? -n : n;
}

async function fixtureLedger(): Promise<string> {
  const db = tempLedger();
  const sink = openLedger(db, { logger: recordingLogger(), installExitHooks: false });
  sink.write(
    records([
      makeEvent("a", {
        ts: "2026-11-03T10:00:00.000Z",
        usage: { inputTokens: 1_500, outputTokens: 300, cacheReadTokens: 1_024 },
        // Exact nano-USD that are no whole micro-USD: the export must carry them, not the rounded micros.
        costMicros: 333_337,
        costNanos: 333_336_789,
        annotations: { useCaseName: "support", accountName: "acme", userId: "alice" },
      }),
      makeEvent("b", {
        ts: "2026-11-03T23:59:59.999Z",
        usage: { inputTokens: 10, outputTokens: 7 },
        costMicros: 11,
        costNanos: 10_001,
        annotations: { useCaseName: "support", accountName: "acme", userId: "alice" },
      }),
      makeEvent("c", {
        ts: "2026-11-04T00:00:00.000Z",
        provider: "anthropic",
        operation: "messages",
        requestModel: "claude-sonnet-4-5",
        responseModel: "claude-sonnet-4-5-20250929",
        usage: { inputTokens: 4_000, outputTokens: 900, cacheWriteTokens: 3_000, cacheReadTokens: 500 },
        costMicros: 1_234_567,
        costNanos: 1_234_566_001,
        annotations: { useCaseName: "search", userId: 'bob "the, builder"' },
      }),
      makeEvent("d", {
        ts: "2026-11-04T08:00:00.000Z",
        requestModel: "my-finetune",
        responseModel: "my-finetune",
        costMicros: null,
        costSource: "unpriced",
        annotations: {},
      }),
      makeEvent("outside", { ts: "2026-10-01T08:00:00.000Z", costMicros: 9_999 }),
    ]),
  );
  await sink.shutdown();
  return db;
}

describe("costtrail export --format focus", () => {
  it("CSV: the documented columns; per day × provider × model × meter, totals equal the ledger's to the nano-dollar", async () => {
    const db = await fixtureLedger();
    const run = await cli(
      {},
      "export",
      "--format",
      "focus",
      "--db",
      db,
      "--since",
      "2026-11-01",
      "--until",
      "2026-12-01",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const [header, ...records] = parseCsv(run.stdout);
    expect(header).toEqual([...FOCUS_COLUMNS]);
    const rows = records.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));

    const sqlite = new Database(db, { readonly: true });
    try {
      const ledger = sqlite
        .prepare(
          `SELECT provider, COALESCE(response_model, request_model) AS model, substr(ts, 1, 10) AS day,
                  SUM(COALESCE(cost_nanos, cost_micros * 1000, 0)) AS nanos, SUM(input_tokens) AS input, SUM(output_tokens) AS output,
                  SUM(cache_read_tokens) AS cache_read, SUM(cache_write_tokens) AS cache_write
             FROM events WHERE ts >= '2026-11-01' AND ts < '2026-12-01' GROUP BY 1, 2, 3`,
        )
        .all() as {
        provider: string;
        model: string;
        day: string;
        nanos: number;
        input: number;
        output: number;
        cache_read: number;
        cache_write: number;
      }[];
      expect(ledger).toHaveLength(3);
      for (const l of ledger) {
        const mine = rows.filter(
          (r) => r["ResourceId"] === l.model && r["ChargePeriodStart"] === `${l.day}T00:00:00Z`,
        );
        expect(mine.length).toBeGreaterThan(0);
        const cost = mine.reduce((n, r) => n + nanos(r["BilledCost"]!), 0n);
        expect(cost).toBe(BigInt(l.nanos));
        expect(mine.reduce((n, r) => n + BigInt(r["x_CostNanos"]!), 0n)).toBe(BigInt(l.nanos));
        const quantity = (meter: string) =>
          mine.filter((r) => r["SkuMeter"] === meter).reduce((n, r) => n + Number(r["ConsumedQuantity"]), 0);
        expect(quantity("Output Tokens")).toBe(l.output);
        expect(quantity("Cache Read Input Tokens")).toBe(l.cache_read);
        expect(quantity("Cache Write Input Tokens")).toBe(l.cache_write);
        expect(quantity("Input Tokens")).toBe(l.input - l.cache_read - l.cache_write);
        for (const r of mine) {
          expect(r["EffectiveCost"]).toBe(r["BilledCost"]);
          expect(r["ConsumedUnit"]).toBe("Tokens");
          expect(JSON.parse(r["SkuPriceDetails"]!)).toMatchObject({ Model: l.model });
        }
      }
      const total = rows.reduce((n, r) => n + nanos(r["BilledCost"]!), 0n);
      const ledgerTotal = sqlite
        .prepare(
          "SELECT SUM(COALESCE(cost_nanos, cost_micros * 1000)) FROM events WHERE ts >= '2026-11-01' AND ts < '2026-12-01'",
        )
        .pluck()
        .get() as number;
      expect(total).toBe(BigInt(ledgerTotal));
      expect(total).toBe(333_336_789n + 10_001n + 1_234_566_001n);
    } finally {
      sqlite.close();
    }
    const support = rows.find((r) => r["ResourceId"] === "gpt-4o-mini-2024-07-18")!;
    expect(JSON.parse(support["Tags"]!)).toEqual({ use_case: "support", account: "acme", user: "alice" });
    expect(support).toMatchObject({
      ServiceProviderName: "OpenAI",
      ChargeCategory: "Usage",
      x_CostSource: "measured",
    });
    const anthropic = rows.find((r) => r["ResourceId"] === "claude-sonnet-4-5-20250929")!;
    expect(JSON.parse(anthropic["Tags"]!)).toEqual({ use_case: "search", user: 'bob "the, builder"' });
    // Late on 3 Nov and midnight on 4 Nov fall on their own UTC days.
    expect(new Set(rows.map((r) => r["ChargePeriodStart"]))).toEqual(
      new Set(["2026-11-03T00:00:00Z", "2026-11-04T00:00:00Z"]),
    );
  });

  it("JSON to --out, with allocated spend as separate rows that are never counted as measured", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await trackContext({ useCaseName: "support", accountName: "acme" }, () => chat(openai, "tracked"));
    });
    await chat(clients(mock).openai, "untracked");
    const reconciled = await cli(
      { OPENAI_ADMIN_KEY: OPENAI_KEY },
      "reconcile",
      "--db",
      db,
      "--base-url",
      mock.url,
      "--allocate",
    );
    expect(reconciled.code).toBe(3);

    const out = `${db}.focus.json`;
    const run = await cli({}, "export", "--format", "focus", "--db", db, "--out", out);
    expect(run.stderr).toMatch(/^costtrail: wrote \d+ FOCUS rows to /);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    const rows = JSON.parse(readFileSync(out, "utf8")) as Row[];
    const measured = rows.filter((r) => r["x_CostSource"] === "measured");
    const allocated = rows.filter((r) => r["x_CostSource"] === "allocated");
    expect(allocated).toHaveLength(1);
    expect(allocated[0]).toMatchObject({
      Tags: { use_case: "support", account: "acme" },
      AllocatedMethodId: "costtrail-proportional-tracked-spend",
      ConsumedQuantity: null,
    });
    const sqlite = new Database(db, { readonly: true });
    try {
      const ledgerNanos = sqlite
        .prepare("SELECT SUM(COALESCE(cost_nanos, cost_micros * 1000)) FROM events")
        .pluck()
        .get() as number;
      expect(measured.reduce((n, r) => n + Number(r["x_CostNanos"]), 0)).toBe(ledgerNanos);
      const run = sqlite.prepare("SELECT provider_nanos, ledger_nanos FROM reconciliations").get() as {
        provider_nanos: number;
        ledger_nanos: number;
      };
      expect(allocated[0]!["x_CostNanos"]).toBe(run.provider_nanos - run.ledger_nanos);
      expect(nanos(String(allocated[0]!["BilledCost"]))).toBe(BigInt(run.provider_nanos - run.ledger_nanos));
    } finally {
      sqlite.close();
    }
  });

  it("docs/focus.md documents every column the export writes", () => {
    const doc = readFileSync(new URL("../../docs/focus.md", import.meta.url), "utf8");
    const table = doc.slice(doc.indexOf("| column | value |"));
    const documented = new Set(
      table
        .split("\n")
        .filter((l) => l.startsWith("| `"))
        .flatMap((l) => [...l.split("|")[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!)),
    );
    expect(FOCUS_COLUMNS.filter((c) => !documented.has(c))).toEqual([]);
    expect([...documented].filter((c) => !(FOCUS_COLUMNS as readonly string[]).includes(c))).toEqual([]);
  });

  it("bad input: exit 2", async () => {
    const db = await fixtureLedger();
    expect((await cli({}, "export", "--format", "csv", "--db", db)).code).toBe(2);
    expect((await cli({}, "export", "--db", db)).code).toBe(2);
    expect((await cli({}, "export", "--format", "focus", "--db", db, "--since", "soon")).stderr).toMatch(
      /--since/,
    );
    expect((await cli({}, "export", "--format", "focus", "--db", tempLedger("absent.db"))).code).toBe(2);
  });
});
