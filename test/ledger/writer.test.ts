// The SQLite event writer (src/ledger/writer.ts): an id already stored, or twice in one batch, is stored once (the
// first one), with its labels once and in the rollups once, wherever in the batch it falls.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toPendingEvent } from "../../src/ledger/event-row.js";
import { openDatabase } from "../../src/ledger/open-database.js";
import { recentEvents, report } from "../../src/ledger/queries.js";
import { rebuildAllTimeRollups, rollupInserts } from "../../src/ledger/rollups.js";
import { createEventPartsWriter, createEventWriter } from "../../src/ledger/writer.js";
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

describe("createEventPartsWriter", () => {
  it("takes each part once the one before is written, and stores what one batch of them all would", () => {
    // Parts of 7, with ids repeated within and across parts: as one batch, the first of each id is stored.
    const all = Array.from({ length: 120 }, (_, i) => event(i % 90, 1_000 + i));
    const whole = openDatabase(join(dir, "whole.db"));
    const parted = openDatabase(join(dir, "parted.db"));
    expect(createEventWriter(whole)(all)).toBe(90);
    const stored = () => parted.prepare("SELECT count(*) FROM events").pluck().get() as number;
    const seen: number[] = [];
    function* parts() {
      for (let i = 0; i < all.length; i += 7) {
        seen.push(stored());
        yield all.slice(i, i + 7);
      }
    }
    expect(createEventPartsWriter(parted)(parts())).toBe(90);
    // Before each part, the events of every part before it are in the table (in the open transaction).
    expect(seen).toEqual(seen.map((_, p) => Math.min(7 * p, 90)));
    for (const sql of [
      "SELECT id, cost_nanos FROM events ORDER BY id",
      "SELECT * FROM event_labels ORDER BY ts_ms, event_id, kind, value",
      // One rollup sum over every part: the same rows, each summed once.
      "SELECT * FROM event_rollups ORDER BY dim, grain, bucket, ucn_k, key_k",
    ])
      expect(parted.prepare(sql).all()).toEqual(whole.prepare(sql).all());
    whole.close();
    parted.close();
  });
});

describe("rollups of runs of alike events", () => {
  it("sum each event into its own group when the one before shares some of its keys (RollupBatch's last group)", () => {
    // Runs of events sharing a user, account or instance, whose neighbours differ in one key at a time: the use
    // case name, the key or its absence (null), the hour or the day; labels repeated and varied too.
    const events = Array.from({ length: 400 }, (_, i) => {
      const run = Math.floor(i / 4);
      return toPendingEvent(
        makeEvent(`r-${i}`, {
          ts: new Date(
            BASE + (i % 9 === 0 ? 86_400_000 - 1 : 0) + Math.floor(i / 50) * 3_599_999,
          ).toISOString(),
          costNanos: 1_000 + i,
          costMicros: 2 + i,
          status: i % 13 === 0 ? "error" : "ok",
          annotations: {
            useCaseName: i % 3 === 0 ? "a" : "b",
            useCaseId: i % 5 === 0 ? undefined : `inst-${run}`,
            useCaseVersion: i % 4 === 0 ? undefined : 1,
            userId: i % 7 === 0 ? "1" : `u${run % 3}`,
            accountName: run % 2 ? "acme" : "globex",
            ...(i % 6 < 3 ? { requestTags: i % 2 ? ["t", "1"] : ["t"] } : {}),
            ...(i % 8 < 4 ? { limitIds: ["l"] } : {}),
          },
        }),
      );
    });
    const db = openDatabase(join(dir, "runs.db"));
    expect(createEventWriter(db)(events)).toBe(events.length);
    const rows = "SELECT * FROM event_rollups ORDER BY dim, grain, bucket, ucn_k, key_k";
    const kept = db.prepare(rows).all();
    db.transaction(() => {
      db.prepare("DELETE FROM event_rollups").run();
      for (const sql of rollupInserts("events e", "event_labels e", "")) db.exec(sql);
      rebuildAllTimeRollups(db);
    })();
    expect(kept).toEqual(db.prepare(rows).all());
    db.close();
  });
});

describe("the annotations column", () => {
  it("leaves out the keys their columns hold exactly, and events read back with every annotation as given", () => {
    const db = openDatabase(join(dir, "annotations.db"));
    const write = createEventWriter(db);
    const full = {
      useCaseName: "support",
      useCaseId: "inst-1",
      useCaseVersion: 3,
      useCaseStep: "draft",
      userId: "u1",
      accountName: "acme",
      priceAsResource: "gpt-4o",
      priceAsCategory: "chat",
      resourceScope: "eu",
      limitIds: ["l1"],
      requestTags: ["t1", "t2"],
      requestProperties: { ticket: "42" },
    };
    // Values no column holds exactly stay in the JSON: a fractional version, a non-string name, a null.
    const odd = { useCaseVersion: 1.5, useCaseName: 7, userId: null, accountName: "x" } as unknown as Record<
      string,
      unknown
    >;
    const negZero = { useCaseVersion: -0 };
    const events = [full, odd, negZero, {}].map((annotations, i) =>
      makeEvent(`a-${i}`, { ts: new Date(BASE + i).toISOString(), annotations: annotations as never }),
    );
    write(events.map(toPendingEvent));
    const stored = (id: string) =>
      JSON.parse(db.prepare("SELECT annotations FROM events WHERE id = ?").pluck().get(id) as string);
    expect(stored("a-0")).toEqual({
      limitIds: ["l1"],
      requestTags: ["t1", "t2"],
      requestProperties: { ticket: "42" },
    });
    expect(stored("a-1")).toEqual({ useCaseVersion: 1.5, useCaseName: 7, userId: null });
    expect(stored("a-3")).toEqual({});
    const back = recentEvents(db, 10);
    expect(back.map((e) => e.id)).toEqual(["a-0", "a-1", "a-2", "a-3"]);
    expect(back[0]!.annotations).toEqual(full);
    expect(back[1]!.annotations).toEqual({
      useCaseVersion: 1.5,
      useCaseName: 7,
      userId: null,
      accountName: "x",
    });
    expect(back[2]!.annotations).toEqual({ useCaseVersion: 0 }); // as JSON kept it before: -0 is 0
    expect(back[3]!.annotations).toEqual({});
    // A row written before (every key in the JSON, which wins over the column) reads back as it was.
    db.prepare("UPDATE events SET annotations = ? WHERE id = 'a-0'").run(
      JSON.stringify({ ...full, userId: "old" }),
    );
    expect(recentEvents(db, 10)[0]!.annotations).toEqual({ ...full, userId: "old" });
    db.close();
  });
});
