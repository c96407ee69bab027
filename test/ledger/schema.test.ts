import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/ledger/open-database.js";
import {
  MIGRATIONS,
  type Migration,
  migrate,
  SCHEMA_VERSION,
  schemaVersion,
} from "../../src/ledger/schema.js";
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
});
