import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/index.js";
import { PostgresLedgerSink } from "../../src/ledger/postgres/sink.js";
import { openLedgerReader } from "../../src/ledger/reader.js";
import { API_ENDPOINTS } from "../../src/server/api.js";
import { type RunningDashboard, startDashboard } from "../../src/server/dashboard-server.js";
import type { MockProvider } from "../../src/testing.js";
import { recordingLogger, tempDir } from "../ledger/helpers.js";
import { adminMock, chat, cli, clients, OPENAI_KEY, tempLedger, trackContext } from "../reconcile/helpers.js";
import { freshDatabase, query } from "./pg-helpers.js";

// The same tracked calls into a SQLite file and into Postgres, then reconcile and the dashboard's API on both.
const pg = freshDatabase("dash");
const file = tempLedger();
const dir = tempDir("costtrail-fleet-dash-");
let mock: MockProvider;
const NOW = Date.now();
/** The time a run was made (each ledger's run is its own) is the one field allowed to differ. */
const RUN_TIMES = new Set(["until", "reconciledAt", "runId", "generatedAt"]);
const withoutRunTimes = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (key, v) => (RUN_TIMES.has(key) ? undefined : v));
beforeAll(async () => {
  mock = await adminMock();
  // One app writing both ledgers (Postgres as an extra sink): identical events in each.
  const postgres = new PostgresLedgerSink(pg.url(), {
    logger: recordingLogger(),
    installExitHooks: false,
    spoolRoot: join(dir, "spool"),
  });
  const handle = instrument({ ledger: file, globalInstrumentation: false, sinks: [postgres] });
  const { openai } = clients(mock);
  await trackContext(
    { useCaseName: "support", useCaseId: "t-1", accountName: "acme", userId: "ann" },
    async () => {
      await chat(openai, "What does a call cost?");
      await chat(openai, "Three?", "gpt-4o");
    },
  );
  await trackContext({ useCaseName: "search", useCaseId: "t-2", userId: "bob" }, () => chat(openai, "find"));
  await handle.shutdown();
  await postgres.shutdown();
});
afterAll(() => mock.close());

const reconcile = (db: string) =>
  cli(
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

describe("reconcile and the dashboard on a Postgres ledger", () => {
  it("reconcile reads the Postgres ledger and stores its run there", async () => {
    const a = await reconcile(file);
    const b = await reconcile(pg.url());
    expect(b.stderr).toBe(a.stderr);
    expect(b.code).toBe(a.code);
    expect(withoutRunTimes(JSON.parse(b.stdout))).toEqual(withoutRunTimes(JSON.parse(a.stdout)));
    const runs = await query<{ n: string }>(pg.url(), "SELECT count(*) AS n FROM reconciliations");
    expect(runs[0]!.n).toBe("1");
  });

  it("every API endpoint answers the same from either ledger", async () => {
    const dashboards: RunningDashboard[] = [];
    const dbs = [openLedgerReader(file), openLedgerReader(pg.url())];
    try {
      for (const db of dbs) dashboards.push(await startDashboard({ db, port: 0, now: () => NOW }));
      const paths = [
        "/api/report?by=user",
        "/api/report?by=model&since=1d",
        "/api/totals?since=1d",
        "/api/timeseries?bucket=hour&since=1d",
        "/api/instance/t-1",
        "/api/limits",
        "/api/kpis",
        "/api/forecast",
        "/api/reconciliations",
        "/api/fx",
      ];
      expect(new Set(paths.map((p) => p.split(/[/?]/)[2]))).toEqual(new Set(API_ENDPOINTS));
      for (const path of paths) {
        const [a, b] = await Promise.all(
          dashboards.map(async (d) => {
            const r = await fetch(`${d.url}${path.slice(1)}`);
            return { status: r.status, body: await r.json() };
          }),
        );
        expect(a!.status, path).toBe(200);
        expect(withoutRunTimes(b), path).toEqual(withoutRunTimes(a));
      }
    } finally {
      for (const d of dashboards) await d.close();
      for (const db of dbs) db.close();
    }
  });
});
