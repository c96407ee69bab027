// `costtrail reprice` (issue 17, item 7) on a real SQLite file and a real Postgres ledger: --dry-run shows per
// model what history costs under the current table (old, new, delta) and writes nothing; without it the events
// and their label copies are rewritten and every change is kept with its old cost (reprice_runs/_changes).
// gpt-4o-2024-08-06: $2.50 / $10 per MTok (2,500 / 10,000 nano-USD per token); gpt-4o-mini $0.15 / $0.60.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { PostgresLedgerSink } from "../../src/ledger/postgres/sink.js";
import { openLedgerReader } from "../../src/ledger/reader.js";
import type { UsageEvent } from "../../src/types.js";
import { freshDatabase } from "../fleet/pg-helpers.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { recordingLogger, records, tempDir } from "../ledger/helpers.js";

const dir = tempDir("costtrail-reprice-");
const pg = freshDatabase("reprice");
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const usage = { inputTokens: 1_000, outputTokens: 100 };

function history(): UsageEvent[] {
  return [
    // Priced at a stale $5 input rate: now 1,000 × 2,500 + 100 × 10,000.
    makeEvent("stale", {
      ts: ago(2),
      requestModel: "gpt-4o",
      responseModel: "gpt-4o-2024-08-06",
      usage,
      costNanos: 6_000_000,
      costMicros: 6_000,
      priceSource: "genai-prices@0.0.1",
      annotations: { useCaseName: "chat", requestTags: ["t1"] },
    }),
    // No price when it was recorded; the current table has one: 1,000 × 150 + 100 × 600.
    makeEvent("unpriced", {
      ts: ago(3),
      requestModel: "gpt-4o-mini",
      responseModel: "gpt-4o-mini-2024-07-18",
      usage,
      costNanos: null,
      costMicros: null,
      costSource: "unpriced",
    }),
    // Priced by the application's override: the CLI does not know it, so it is kept.
    makeEvent("override", {
      ts: ago(1),
      requestModel: "my-ft",
      responseModel: "my-ft",
      usage,
      costNanos: 123_000,
      costMicros: 123,
      costSource: "override",
      priceSource: "override:my-ft",
    }),
    // Outside --since 30d: untouched.
    makeEvent("old", {
      ts: ago(60),
      requestModel: "gpt-4o",
      responseModel: "gpt-4o-2024-08-06",
      usage,
      costNanos: 6_000_000,
      costMicros: 6_000,
      priceSource: "genai-prices@0.0.1",
    }),
  ];
}

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

const file = join(dir, "ledger.db");
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

function costs(db: string): Record<string, unknown> {
  const conn = openLedgerReader(db);
  try {
    const rows = conn
      .prepare("SELECT id, cost_nanos, cost_source, price_source FROM events ORDER BY id")
      .all() as { id: string; cost_nanos: number | null; cost_source: string; price_source: string | null }[];
    return Object.fromEntries(rows.map((r) => [r.id, [r.cost_nanos, r.cost_source, r.price_source]]));
  } finally {
    conn.close();
  }
}

describe.each([
  ["SQLite", () => file],
  ["Postgres", () => pg.url()],
])("costtrail reprice on %s", (_name, db) => {
  it("--dry-run: per model old, new and delta, nothing written", async () => {
    const before = costs(db());
    const { code, stdout, stderr } = await cli(
      "reprice",
      "--since",
      "30d",
      "--dry-run",
      "--db",
      db(),
      "--format",
      "json",
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ dryRun: true, runId: null, events: 3, changed: 2, keptOverrides: 1 });
    expect(r.models).toEqual([
      {
        provider: "openai",
        model: "gpt-4o",
        events: 1,
        changed: 1,
        oldNanos: "6000000",
        newNanos: "3500000",
        deltaNanos: "-2500000",
      },
      {
        provider: "openai",
        model: "gpt-4o-mini",
        events: 1,
        changed: 1,
        oldNanos: "0",
        newNanos: "210000",
        deltaNanos: "210000",
      },
      {
        provider: "openai",
        model: "my-ft",
        events: 1,
        changed: 0,
        oldNanos: "123000",
        newNanos: "123000",
        deltaNanos: "0",
      },
    ]);
    expect(r.totals).toEqual({ oldNanos: "6123000", newNanos: "3833000", deltaNanos: "-2290000" });
    expect(costs(db())).toEqual(before);

    const table = await cli("reprice", "--since", "30d", "--dry-run", "--db", db());
    expect(table.stdout).toMatch(/gpt-4o\s+1\s+1\s+0\.006000\s+0\.003500\s+-0\.002500/);
    expect(table.stdout).toContain("dry run: 2 of 3 event(s) would change; nothing written");
  });

  it("rewrites the changed events and their labels, keeping the old costs; a second run finds nothing", async () => {
    const { code, stdout } = await cli("reprice", "--since", "30d", "--db", db(), "--format", "json");
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ dryRun: false, changed: 2 });
    expect(r.runId).toMatch(/^[0-9a-f-]{36}$/);
    const after = costs(db());
    expect(after.stale).toEqual([3_500_000, "computed", expect.stringMatching(/^genai-prices@/)]);
    expect(after.unpriced).toEqual([210_000, "computed", expect.stringMatching(/^genai-prices@/)]);
    expect(after.override).toEqual([123_000, "override", "override:my-ft"]);
    expect(after.old).toEqual([6_000_000, "computed", "genai-prices@0.0.1"]);

    const conn = openLedgerReader(db());
    try {
      const kept = conn
        .prepare(
          `SELECT event_id, old_cost_nanos, old_cost_source, old_price_source, new_cost_nanos, new_cost_source
             FROM reprice_changes WHERE run_id = ? ORDER BY event_id`,
        )
        .all(r.runId);
      expect(kept).toEqual([
        {
          event_id: "stale",
          old_cost_nanos: 6_000_000,
          old_cost_source: "computed",
          old_price_source: "genai-prices@0.0.1",
          new_cost_nanos: 3_500_000,
          new_cost_source: "computed",
        },
        {
          event_id: "unpriced",
          old_cost_nanos: null,
          old_cost_source: "unpriced",
          old_price_source: null,
          new_cost_nanos: 210_000,
          new_cost_source: "computed",
        },
      ]);
      const run = conn
        .prepare("SELECT events, old_nanos, new_nanos FROM reprice_runs WHERE id = ?")
        .get(r.runId);
      expect(run).toEqual({ events: 2, old_nanos: 6_000_000, new_nanos: 3_710_000 });
    } finally {
      conn.close();
    }
    // The label copy moved with the event: the tag report agrees.
    const tags = await cli("report", "--by", "tag", "--db", db(), "--format", "json");
    expect(JSON.parse(tags.stdout).rows.find((row: { key: string }) => row.key === "t1").costNanos).toBe(
      "3500000",
    );

    const again = await cli("reprice", "--since", "30d", "--db", db());
    expect(again.stdout).toContain("nothing to rewrite: all 3 event(s) already have the current price");
  });

  it("prices --check reads this ledger too: every model has a price (the override-priced one counts)", async () => {
    const check = await cli("prices", "--check", "--db", db());
    expect(check).toEqual({ code: 0, stdout: "all 3 model(s) in the ledger have a price\n", stderr: "" });
  });

  it("a bad flag is a usage error naming it", async () => {
    const bad = await cli("reprice", "--since", "yesterday", "--db", db());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^costtrail: --since: invalid time "yesterday"/);
    const format = await cli("reprice", "--format", "xml", "--db", db());
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/^costtrail: --format: /);
  });
});
