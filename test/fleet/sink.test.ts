import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PostgresLedgerSink } from "../../src/ledger/postgres/sink.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { recordingLogger, records, tempDir } from "../ledger/helpers.js";
import { freshDatabase, query } from "./pg-helpers.js";

const db = freshDatabase("sink");
const dir = tempDir("costtrail-fleet-sink-");

const sinkOf = (url: string, logger = recordingLogger()) =>
  new PostgresLedgerSink(url, { logger, installExitHooks: false, spoolRoot: join(dir, "spool") });

describe("the Postgres ledger sink", () => {
  it("creates the schema and writes events with their labels, exactly as given", async () => {
    const logger = recordingLogger();
    const sink = sinkOf(db.url(), logger);
    const events = Array.from({ length: 12_000 }, (_, i) =>
      makeEvent(`e-${i}`, {
        costMicros: 7,
        costNanos: 6_123,
        annotations: {
          useCaseName: "chat",
          userId: `u-${i % 3}`,
          limitIds: ["daily"],
          requestTags: ["a", "b"],
        },
      }),
    );
    sink.write(records(events));
    await sink.shutdown();
    expect(logger.warnings).toEqual([]);
    expect(sink.stats()).toMatchObject({ written: 12_000, dropped: 0, spooled: 0 });
    const [totals] = await query<{ n: string; nanos: string }>(
      db.url(),
      "SELECT count(*) AS n, sum(cost_nanos) AS nanos FROM events",
    );
    expect(totals).toEqual({ n: "12000", nanos: String(12_000 * 6_123) });
    const labels = await query<{ kind: string; n: string }>(
      db.url(),
      "SELECT kind, count(*) AS n FROM event_labels GROUP BY kind ORDER BY kind",
    );
    expect(labels).toEqual([
      { kind: "limit", n: "12000" },
      { kind: "tag", n: "24000" },
    ]);
  });

  it("keeps one row per event id when a batch is sent again", async () => {
    const sink = sinkOf(db.url());
    sink.write(records([makeEvent("e-1"), makeEvent("e-2"), makeEvent("new-1")]));
    await sink.shutdown();
    const [row] = await query<{ n: string }>(
      db.url(),
      "SELECT count(*) AS n FROM events WHERE id IN ('e-1', 'e-2', 'new-1')",
    );
    expect(row!.n).toBe("3");
  });

  it("stores text Postgres cannot hold (NUL) rather than losing the event", async () => {
    const sink = sinkOf(db.url());
    sink.write(records([makeEvent("nul-1", { annotations: { useCaseName: "a\u0000b", userId: "x" } })]));
    await sink.shutdown();
    const rows = await query<{ use_case_name: string }>(
      db.url(),
      "SELECT use_case_name FROM events WHERE id = 'nul-1'",
    );
    expect(rows).toEqual([{ use_case_name: "a\uFFFDb" }]);
  });

  it("stores lone surrogates as U+FFFD, and keeps backslashes, quotes and real pairs as they are", async () => {
    const sink = sinkOf(db.url());
    const odd = ["x\ud800y", "\\u0000 and \\\u0000", 'q"\\"\n\t', "pair 😀 \udfff"];
    sink.write(
      records(
        odd.map((name, i) => makeEvent(`odd-${i}`, { annotations: { useCaseName: name, userId: "x" } })),
      ),
    );
    await sink.shutdown();
    const rows = await query<{ use_case_name: string }>(
      db.url(),
      "SELECT use_case_name FROM events WHERE id LIKE 'odd-%' ORDER BY id",
    );
    expect(rows.map((r) => r.use_case_name)).toEqual([
      "x\uFFFDy",
      "\\u0000 and \\\uFFFD",
      'q"\\"\n\t',
      "pair 😀 \uFFFD",
    ]);
  });

  it("stores instrument({ kpis }) definitions once the server is reachable", async () => {
    const sink = sinkOf(db.url());
    sink.defineKpis([
      { name: "resolved", useCase: "support", kind: "boolean", goal: { op: ">=", value: 0.8 }, roi: true },
    ]);
    await sink.shutdown();
    const rows = await query(
      db.url(),
      "SELECT use_case_name, name, kind, goal_op, goal_value, roi FROM kpi_definitions",
    );
    expect(rows).toEqual([
      {
        use_case_name: "support",
        name: "resolved",
        kind: "boolean",
        goal_op: ">=",
        goal_value: 0.8,
        roi: "1",
      },
    ]);
  });
});
