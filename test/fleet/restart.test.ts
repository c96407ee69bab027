import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresLedgerSink } from "../../src/ledger/postgres/sink.js";
import { type MockProvider, startMockProvider } from "../../src/testing.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { recordingLogger, records, tempDir } from "../ledger/helpers.js";
import { waitFor } from "../support/child.js";
import { freshDatabase, query, startChildIn, throwawayServer } from "./pg-helpers.js";

// A server of this file only, so it can be stopped and started; the machine's cluster is never restarted.
const pgServer = throwawayServer();
const db = freshDatabase("restart", pgServer.server);
const dir = tempDir("costtrail-fleet-restart-");
const CHILD = fileURLToPath(new URL("./fixtures/app-child.ts", import.meta.url));
let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(() => mock.close());

const ids = async (prefix: string) =>
  (
    await query<{ id: string }>(db.url(), "SELECT id FROM events WHERE id LIKE $1 ORDER BY id", [
      `${prefix}%`,
    ])
  ).map((r) => r.id);

describe("Postgres goes away and comes back", () => {
  it("a batch whose INSERT is in flight when the server stops is spooled, then replayed exactly once", async () => {
    const logger = recordingLogger();
    const sink = new PostgresLedgerSink(db.url(), {
      logger,
      installExitHooks: false,
      spoolRoot: join(dir, "spool-a"),
    });
    const event = (i: number) => makeEvent(`a-${String(i).padStart(5, "0")}`);
    sink.write(records(Array.from({ length: 40 }, (_, i) => event(i))));
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 40, spooled: 0 });

    // The drain starts its INSERT; the stop lands while it is in flight (execFileSync blocks this process).
    sink.write(records(Array.from({ length: 20_000 }, (_, i) => event(40 + i))));
    const flushing = sink.flush();
    await new Promise((r) => setImmediate(r));
    pgServer.stop();
    await flushing;
    // While the server is down, new events go to the spool too.
    sink.write(records(Array.from({ length: 40 }, (_, i) => event(20_040 + i))));
    await sink.flush();
    expect(sink.stats().written).toBe(40);
    expect(sink.stats().spooled).toBe(20_040);
    expect(logger.warnings.join("\n")).toMatch(
      /cannot write ledger postgres:\/\/postgres@127\.0\.0\.1:\d+\/ct_fleet_restart_\w+ \(.*\); spooling events to /,
    );

    pgServer.start();
    await sink.flush();
    await sink.shutdown();
    const stored = await ids("a-");
    expect(stored.length).toBe(20_080);
    expect(stored).toEqual(Array.from({ length: 20_080 }, (_, i) => event(i).id));
    expect(sink.stats()).toMatchObject({ dropped: 0, rejected: 0, replayed: 20_040 });
    expect(sink.spool.hasRecords()).toBe(false);
  });

  it("a process that ends while the server is down leaves its spool; the next process replays it", async () => {
    const spoolRoot = join(dir, "spool-b");
    const first = new PostgresLedgerSink(db.url(), {
      logger: recordingLogger(),
      installExitHooks: false,
      spoolRoot,
    });
    pgServer.stop();
    try {
      first.write(records(Array.from({ length: 50 }, (_, i) => makeEvent(`b-${i}`))));
      await first.shutdown();
      expect(first.stats()).toMatchObject({ written: 0, spooled: 50, dropped: 0 });
    } finally {
      pgServer.start();
    }
    const next = new PostgresLedgerSink(db.url(), {
      logger: recordingLogger(),
      installExitHooks: false,
      spoolRoot,
    });
    await next.flush();
    await next.shutdown();
    expect((await ids("b-")).length).toBe(50);
    expect(next.stats().replayed).toBe(50);
  });

  it("an app making calls through a restart: its calls succeed and every event arrives exactly once", async () => {
    mock.reset();
    const child = startChildIn(dir, CHILD, ["restart-user", "120", "15"], {
      COSTTRAIL_LEDGER: db.url(),
      MOCK_URL: mock.url,
    });
    const done = () => (child.stdout().match(/^ok /gm) ?? []).length;
    await waitFor(() => done() >= 40, 90_000);
    pgServer.stop();
    await waitFor(() => done() >= 80, 90_000);
    pgServer.start();
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(done()).toBe(120);
    expect(child.stderr()).toMatch(/cannot write ledger postgres:\/\/postgres@127\.0\.0\.1/);
    const rows = await query<{ n: string; distinct: string }>(
      db.url(),
      "SELECT count(*) AS n, count(DISTINCT id) AS distinct FROM events WHERE user_id = 'restart-user'",
    );
    expect(rows).toEqual([{ n: "120", distinct: "120" }]);
    expect(mock.requests.length).toBe(120);
  }, 180_000);
});
