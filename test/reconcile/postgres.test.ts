import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/index.js";
import { PostgresLedgerSink } from "../../src/ledger/postgres/sink.js";
import type { MockProvider } from "../../src/testing.js";
import { freshDatabase, query } from "../fleet/pg-helpers.js";
import { recordingLogger, tempDir } from "../ledger/helpers.js";
import { adminMock, chat, cli, clients, OPENAI_KEY, tempLedger, trackContext } from "./helpers.js";

// A gap (calls made without costtrail) reconciled with --allocate on a SQLite file and on a Postgres ledger
// holding the same events: the same rows and allocations, stored in each, and the same FOCUS export.
const pg = freshDatabase("reconcile");
const file = tempLedger();
const dir = tempDir("costtrail-reconcile-pg-");
let mock: MockProvider;
const RUN_TIMES = new Set(["until", "reconciledAt", "runId", "generatedAt", "RunId"]);
const withoutRunTimes = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (key, v) => (RUN_TIMES.has(key) ? undefined : v));

beforeAll(async () => {
  mock = await adminMock();
  const postgres = new PostgresLedgerSink(pg.url(), {
    logger: recordingLogger(),
    installExitHooks: false,
    spoolRoot: join(dir, "spool"),
  });
  const handle = instrument({ ledger: file, globalInstrumentation: false, sinks: [postgres] });
  const { openai } = clients(mock);
  await trackContext({ useCaseName: "support", accountName: "acme" }, async () => {
    await chat(openai, "support question one");
    await chat(openai, "support question two");
  });
  await trackContext({ useCaseName: "search", accountName: "globex" }, () => chat(openai, "search query"));
  await handle.shutdown();
  await postgres.shutdown();
  // Billed by the provider, never seen by costtrail.
  for (let i = 0; i < 2; i++) await chat(clients(mock).openai, `an untracked call ${i}`);
});
afterAll(() => mock?.close());

const reconcile = (db: string) =>
  cli(
    { OPENAI_ADMIN_KEY: OPENAI_KEY },
    "reconcile",
    "--db",
    db,
    "--base-url",
    mock.url,
    "--allocate",
    "--format",
    "json",
  );

describe("reconcile --allocate and the FOCUS export on a Postgres ledger", () => {
  it("the same gap, rows and allocations from either ledger; the run and its shares stored in Postgres", async () => {
    const a = await reconcile(file);
    const b = await reconcile(pg.url());
    expect(a.code).toBe(3);
    expect(b.code).toBe(3);
    expect(b.stderr).toBe(a.stderr);
    const out = JSON.parse(b.stdout);
    expect(withoutRunTimes(out)).toEqual(withoutRunTimes(JSON.parse(a.stdout)));
    expect(out.rows[0]).toMatchObject({ providerRequests: 5, ledgerRequests: 3, withinTolerance: false });
    expect(out.allocations.map((x: { useCase: string }) => x.useCase)).toEqual(["search", "support"]);

    const [run] = await query<{ provider_nanos: string; ledger_nanos: string }>(
      pg.url(),
      "SELECT provider_nanos, ledger_nanos FROM reconciliations",
    );
    const [events] = await query<{ nanos: string }>(pg.url(), "SELECT sum(cost_nanos) AS nanos FROM events");
    expect(run!.ledger_nanos).toBe(events!.nanos);
    const [shares] = await query<{ total: string }>(
      pg.url(),
      "SELECT sum(allocated_nanos) AS total FROM reconciliation_allocations",
    );
    // The gap, to the nano-dollar; the measured cost untouched.
    expect(BigInt(shares!.total)).toBe(BigInt(run!.provider_nanos) - BigInt(run!.ledger_nanos));
    const [after] = await query<{ nanos: string }>(pg.url(), "SELECT sum(cost_nanos) AS nanos FROM events");
    expect(after!.nanos).toBe(events!.nanos);
    // The admin key is in none of the stored rows, nor in what was printed.
    const stored = await query<{ t: string }>(
      pg.url(),
      `SELECT row_to_json(r)::text AS t FROM reconciliations r
       UNION ALL SELECT row_to_json(d)::text FROM reconciliation_days d
       UNION ALL SELECT row_to_json(a)::text FROM reconciliation_allocations a`,
    );
    expect(stored.length).toBeGreaterThan(2);
    const everything = stored.map((r) => r.t).join("\n") + b.stdout + b.stderr;
    expect(everything).toContain("gpt-4o-mini");
    expect(everything).not.toContain(OPENAI_KEY);
  });

  it("export --format focus: the same measured and allocated rows from either ledger", async () => {
    const a = await cli({}, "export", "--format", "focus", "--as", "json", "--db", file);
    const b = await cli({}, "export", "--format", "focus", "--as", "json", "--db", pg.url());
    expect(b.code).toBe(0);
    expect(b.stderr).toBe("");
    const rows = JSON.parse(b.stdout) as { x_CostSource: string }[];
    expect(rows.filter((r) => r.x_CostSource === "allocated")).toHaveLength(2);
    expect(withoutRunTimes(rows)).toEqual(withoutRunTimes(JSON.parse(a.stdout)));
  });
});
