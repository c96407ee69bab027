// The SQLite event writer (src/ledger/writer.ts): an id already stored, or twice in one batch, is stored once (the
// first one), with its labels once and in the rollups once, wherever in the batch it falls.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toPendingEvent } from "../../src/ledger/event-row.js";
import { openDatabase } from "../../src/ledger/open-database.js";
import { report } from "../../src/ledger/queries.js";
import { createEventWriter } from "../../src/ledger/writer.js";
import { makeEvent } from "./fixtures/events.js";
import { tempDir } from "./helpers.js";

const dir = tempDir("costtrail-writer-");
const BASE = Date.UTC(2025, 5, 10);

const event = (i: number, cost = 1_000 + i) =>
  toPendingEvent(
    makeEvent(`w-${String(i).padStart(4, "0")}`, {
      ts: new Date(BASE + i * 60_000).toISOString(),
      costNanos: cost,
      costMicros: Math.ceil(cost / 1000),
      annotations: {
        userId: `u${i % 3}`,
        ...(i % 2 ? { requestTags: ["a", "b"] } : {}),
        ...(i % 5 === 0 ? { limitIds: ["l"] } : {}),
      },
    }),
  );

describe("createEventWriter", () => {
  it("stores each id once across and within batches, labels and rollups included", () => {
    const db = openDatabase(join(dir, "dupes.db"));
    const write = createEventWriter(db);
    // Every third of the first 100 ids, stored before.
    const earlier = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 === 0);
    expect(write(earlier.map((i) => event(i)))).toBe(earlier.length);
    // A batch of 100 ids plus the same id twice (the second with another cost: the first is the one stored), and
    // a third time at the end.
    const batch = Array.from({ length: 100 }, (_, i) => event(i));
    batch.splice(5, 0, event(1, 999_999));
    batch.splice(35, 0, event(200));
    batch.splice(17, 0, event(200, 777_777));
    batch.push(event(200), event(201));
    const fresh = 100 - earlier.length + 2; // 200 and 201
    expect(write(batch)).toBe(fresh);
    expect(write(batch)).toBe(0);

    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    expect(count("SELECT count(*) FROM events")).toBe(102);
    expect(count("SELECT cost_nanos FROM events WHERE id = 'w-0001'")).toBe(1_001);
    expect(count("SELECT cost_nanos FROM events WHERE id = 'w-0200'")).toBe(777_777);
    const labels = [...Array.from({ length: 100 }, (_, i) => i), 200, 201].reduce(
      (n, i) => n + (i % 2 ? 2 : 0) + (i % 5 === 0 ? 1 : 0),
      0,
    );
    expect(count("SELECT count(*) FROM event_labels")).toBe(labels);
    for (const by of ["user", "tag", "limit", "day"] as const) {
      const viaRollups = report(db, { by, now: BASE + 10 * 86_400_000 });
      expect(viaRollups).toEqual(report(db, { by, now: BASE + 10 * 86_400_000 }, { rollups: false }));
      expect(viaRollups.totals.requests).toBe(102);
    }
    db.close();
  });
});
