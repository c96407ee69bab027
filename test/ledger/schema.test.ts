import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { toPendingEvent } from "../../src/ledger/event-row.js";
import { openDatabase } from "../../src/ledger/open-database.js";
import { report } from "../../src/ledger/queries.js";
import {
  MIGRATIONS,
  type Migration,
  migrate,
  SCHEMA_VERSION,
  schemaVersion,
} from "../../src/ledger/schema.js";
import { createEventWriter } from "../../src/ledger/writer.js";
import { makeEvent } from "./fixtures/events.js";
import { tempDir } from "./helpers.js";

const dir = tempDir();
let n = 0;
const freshPath = () => join(dir, `schema-${n++}.db`);

function schemaSnapshot(db: Database.Database): unknown[] {
  return db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all();
}

describe("schema", () => {
  it("has contiguous migration versions starting at 1", () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it("migrates a new file from version 0 and sets the pragmas", () => {
    const path = freshPath();
    const raw = new Database(path);
    expect(schemaVersion(raw)).toBe(0);
    raw.close();

    const db = openDatabase(path);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual([
      "batch_scopes",
      "event_labels",
      "event_rollups",
      "events",
      "fx_rates",
      "kpi_definitions",
      "kpis",
      "limit_alerts",
      "limit_meta",
      "limit_reservations",
      "limit_spend",
      "limits",
      "reconciliation_allocations",
      "reconciliation_days",
      "reconciliations",
      "reprice_changes",
      "reprice_runs",
    ]);
    const indices = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
      .pluck()
      .all();
    expect(indices.length).toBeGreaterThanOrEqual(3);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    expect(db.pragma("busy_timeout", { simple: true })).toBeGreaterThanOrEqual(1_000);
    // Money is an INTEGER column (micro-USD), never REAL.
    const cost = (db.prepare("PRAGMA table_info(events)").all() as { name: string; type: string }[]).find(
      (c) => c.name === "cost_micros",
    );
    expect(cost?.type).toBe("INTEGER");
    db.close();
  });

  it("re-opening a current ledger is a no-op", () => {
    const path = freshPath();
    const first = openDatabase(path);
    const before = schemaSnapshot(first);
    first.close();

    const again = openDatabase(path);
    expect(migrate(again)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    expect(schemaSnapshot(again)).toEqual(before);
    again.close();
  });

  it("applies only the migrations a file lacks (adding one is appending to the list)", () => {
    const path = freshPath();
    const db = openDatabase(path);
    const v2: Migration = {
      version: SCHEMA_VERSION + 1,
      description: "test: an extra table",
      up: (d) => d.exec("CREATE TABLE extra (id INTEGER PRIMARY KEY)"),
    };
    expect(migrate(db, [...MIGRATIONS, v2])).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION + 1);
    // A second run has nothing to do, and the current code leaves the newer file alone.
    expect(migrate(db, [...MIGRATIONS, v2])).toEqual({ from: SCHEMA_VERSION + 1, to: SCHEMA_VERSION + 1 });
    expect(migrate(db)).toEqual({ from: SCHEMA_VERSION + 1, to: SCHEMA_VERSION + 1 });
    db.close();
  });

  it("rolls a failing migration back entirely", () => {
    const path = freshPath();
    const db = openDatabase(path);
    const broken: Migration = {
      version: SCHEMA_VERSION + 1,
      description: "test: fails halfway",
      up: (d) => {
        d.exec("CREATE TABLE half (id INTEGER)");
        throw new Error("boom");
      },
    };
    expect(() => migrate(db, [...MIGRATIONS, broken])).toThrow("boom");
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    db.close();
  });

  it("v11: a v10 file's labels move to the table keyed by time, every row as it was, and reports agree", () => {
    const path = freshPath();
    const v10 = new Database(path);
    migrate(v10, MIGRATIONS.slice(0, 10));
    expect(schemaVersion(v10)).toBe(10);
    const base = Date.UTC(2025, 5, 10);
    // Out of time order, and two events in the same millisecond, so that the copy's order is not the old key's.
    const events = Array.from({ length: 60 }, (_, i) =>
      makeEvent(`v10-${String(59 - i).padStart(2, "0")}`, {
        ts: new Date(base + Math.floor(i / 2) * 3_600_000 + (i % 7) * 60_000).toISOString(),
        costNanos: 1_000 + i,
        costMicros: 2,
        annotations: {
          userId: `u${i % 4}`,
          ...(i % 3 ? { requestTags: [`t${i % 5}`, "all"] } : {}),
          ...(i % 4 === 0 ? { limitIds: ["l"] } : {}),
        },
      }),
    );
    createEventWriter(v10)(events.map(toPendingEvent));
    const labels = (d: Database.Database) =>
      d.prepare("SELECT * FROM event_labels ORDER BY kind, value, event_id").all();
    const before = labels(v10);
    expect(before.length).toBe(events.reduce((n, _, i) => n + (i % 3 ? 2 : 0) + (i % 4 === 0 ? 1 : 0), 0));
    const now = base + 10 * 86_400_000;
    const reports = (d: Database.Database) =>
      (["tag", "limit"] as const).flatMap((by) => [
        report(d, { by, now }),
        report(d, { by, now }, { rollups: false }),
        report(d, { by, now, since: new Date(base + 5 * 3_600_000 + 1).toISOString() }),
      ]);
    const reportsBefore = reports(v10);
    v10.close();

    const db = openDatabase(path);
    expect(schemaVersion(db)).toBe(11);
    expect(labels(db)).toEqual(before);
    const pk = (db.prepare("PRAGMA table_info(event_labels)").all() as { name: string; pk: number }[])
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    expect(pk).toEqual(["ts_ms", "event_id", "kind", "value"]);
    expect(reports(db)).toEqual(reportsBefore);
    // Still one label row per value: a re-sent batch adds nothing, and the foreign key still holds.
    createEventWriter(db)(events.map(toPendingEvent));
    expect(labels(db)).toEqual(before);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    // The ledger's connections do not check it as they write (open-database.ts); the declaration is still there,
    // and holds wherever it is checked.
    expect(db.pragma("foreign_keys", { simple: true })).toBe(0);
    db.pragma("foreign_keys = ON");
    expect(() =>
      db
        .prepare(
          "INSERT INTO event_labels (kind, value, event_id, ts_ms, status, input_tokens, output_tokens) VALUES ('tag', 'x', 'nope', 0, 'ok', 0, 0)",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    db.close();
  });
});
