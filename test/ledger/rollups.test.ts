// Rollups (src/ledger/rollups.ts, docs/ledger.md "Rollups") must never change a report: on random ledgers (null
// keys, empty strings, integer versions, several labels, re-sent events, estimated and unpriced costs, sums past
// 2^53, events before the epoch, timestamps on hour and day boundaries) every report, its totals and the spend
// chart read through rollups equal the raw events query on SQLite, before and after `reprice` rewrites costs; the
// Postgres ledger keeps no rollups and gives the same reports of the same events. Real SQLite files and a real
// Postgres database.
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { spendOverTime } from "../../src/ledger/dashboard-queries.js";
import { toPendingEvent } from "../../src/ledger/event-row.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { openDatabase } from "../../src/ledger/open-database.js";
import { PostgresLedgerSink } from "../../src/ledger/postgres/sink.js";
import { REPORT_KEYS, type ReportOptions, report } from "../../src/ledger/queries.js";
import { openLedgerReader, openLedgerWriter } from "../../src/ledger/reader.js";
import { reprice } from "../../src/ledger/reprice.js";
import {
  planRollups,
  ROLLUP_DIMS,
  ROLLUP_MEASURE_SQL,
  rebuildAllTimeRollups,
  rollupInserts,
} from "../../src/ledger/rollups.js";
import { MIGRATIONS, migrate, schemaVersion } from "../../src/ledger/schema.js";
import { createEventWriter } from "../../src/ledger/writer.js";
import { Pricer } from "../../src/pricing/index.js";
import type { UsageEvent } from "../../src/types.js";
import { freshDatabase } from "../fleet/pg-helpers.js";
import { makeEvent } from "./fixtures/events.js";
import { recordingLogger, records, tempDir } from "./helpers.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;
const BASE = Date.UTC(2025, 5, 10);

let seed = 19;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const maybe = <T>(p: number, v: T): T | undefined => (rand() < p ? v : undefined);

function randomTs(): number {
  const r = rand();
  if (r < 0.03) return -Math.floor(rand() * 2 * HOUR) - 1; // before the epoch
  if (r < 0.1) return BASE + Math.floor(rand() * 6) * DAY; // on a day boundary
  if (r < 0.2) return BASE + Math.floor(rand() * 100) * HOUR - pick([0, 1]); // on or just before an hour
  return BASE - 2 * DAY + Math.floor(rand() * 8 * DAY);
}

function randomEvent(i: number): UsageEvent {
  const costSource = pick(["computed", "computed", "estimated", "unpriced", "override"] as const);
  const big = rand() < 0.05;
  const costNanos =
    costSource === "unpriced" ? null : big ? 2 ** 52 + Math.floor(rand() * 1000) : Math.floor(rand() * 5e6);
  const annotations: Record<string, unknown> = {};
  const set = (k: string, v: unknown) => {
    if (v !== undefined) annotations[k] = v;
  };
  set("useCaseName", maybe(0.85, pick(["chat", "search", "summarize", ""])));
  set("useCaseId", maybe(0.9, `instance-${Math.floor(rand() * 12)}`));
  set("userId", maybe(0.8, pick(["alice", "bob", "carol", "", "1"])));
  set("accountName", maybe(0.7, pick(["acme", "globex"])));
  set("useCaseStep", maybe(0.6, pick(["plan", "draft"])));
  set("useCaseVersion", maybe(0.6, pick([1, 2, 10])));
  set("limitIds", maybe(0.5, [pick(["l1", "l2"]), pick(["l1", "l2", "l3"])]));
  set(
    "requestTags",
    maybe(
      0.6,
      Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(["t1", "t2", "t3"])),
    ),
  );
  const model = pick(["gpt-4o-mini", "gpt-4o", "claude-haiku-4-5"]);
  return makeEvent(`e${i}`, {
    ts: new Date(randomTs()).toISOString(),
    provider: model.startsWith("claude") ? "anthropic" : "openai",
    requestModel: model,
    responseModel: model,
    status: pick(["ok", "ok", "ok", "error", "blocked", "aborted"] as const),
    usage: { inputTokens: Math.floor(rand() * 5000), outputTokens: Math.floor(rand() * 800) },
    costSource,
    costNanos,
    costMicros: costNanos === null ? null : Math.ceil(costNanos / 1000),
    ...(rand() < 0.2 ? { estimatedNanos: 1 + Math.floor(rand() * 1e6) } : {}),
    annotations,
  });
}

const EVENTS = Array.from({ length: 1500 }, (_, i) => randomEvent(i));
// Re-sent events (a retry after a lost acknowledgement): stored once, rolled up once.
const RESENT = EVENTS.filter((_, i) => i % 7 === 0);

function bound(): number | string | undefined {
  const r = rand();
  if (r < 0.25) return undefined;
  if (r < 0.35) return -HOUR; // before the epoch
  if (r < 0.5) return BASE + Math.floor(rand() * 5) * DAY; // a whole day
  if (r < 0.65) return BASE + Math.floor(rand() * 100) * HOUR; // a whole hour
  return BASE - 3 * DAY + Math.floor(rand() * 10 * DAY);
}

function randomOptions(): ReportOptions {
  let since = bound();
  let until = bound();
  if (typeof since === "number" && typeof until === "number" && since > until)
    [since, until] = [until, since];
  return {
    by: pick(REPORT_KEYS),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(rand() < 0.3 ? { useCase: pick(["chat", "search", ""]) } : {}),
    ...(rand() < 0.4 ? { limit: 1 + Math.floor(rand() * 4) } : {}),
    ...(rand() < 0.5 ? { order: pick(["cost", "key"] as const) } : {}),
    now: BASE + 3 * DAY,
  };
}

/** A random spend-chart range (up to 4 days, or open) in `bucket`s. */
function randomChartOptions(bucket: "hour" | "day") {
  const since = bound();
  const until = typeof since === "number" ? since + Math.floor(rand() * 4 * DAY) : undefined;
  return {
    bucket,
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    now: BASE + 3 * DAY,
  };
}

/** A result, or the error it throws (a too-wide hour chart is refused alike either way). */
function outcome<T>(f: () => T): T | string {
  try {
    return f();
  } catch (error) {
    return String(error);
  }
}

function compareAll(url: string, rounds: number, events = EVENTS.length): void {
  const db = openLedgerReader(url);
  try {
    for (let i = 0; i < rounds; i++) {
      const opts = randomOptions();
      const viaRollups = report(db, opts);
      expect(viaRollups, JSON.stringify(opts)).toEqual(report(db, opts, { rollups: false }));
    }
    // Unbounded ranges (the all-time rows, and the part before the epoch) for every key.
    for (const by of REPORT_KEYS) {
      for (const extra of [{}, { since: 0 }, { since: -HOUR }, { limit: 2 }, { order: "key" as const }]) {
        const opts: ReportOptions = { by, ...extra, now: BASE + 3 * DAY };
        expect(report(db, opts), JSON.stringify(opts)).toEqual(report(db, opts, { rollups: false }));
      }
    }
    for (const bucket of ["hour", "day"] as const) {
      for (let i = 0; i < 15; i++) {
        const opts = randomChartOptions(bucket);
        expect(
          outcome(() => spendOverTime(db, opts)),
          JSON.stringify(opts),
        ).toEqual(outcome(() => spendOverTime(db, opts, { rollups: false })));
      }
    }
    // Every event is rolled up: the all-time totals of the rollup rows alone equal the raw ones.
    const all = report(db, { by: "user" }).totals;
    expect(all.requests).toBe(events);
    const rolled = db
      .prepare("SELECT sum(requests) FROM event_rollups WHERE dim = 'total' AND grain = 'd'")
      .pluck()
      .get() as number;
    const counted = db.prepare("SELECT count(*) FROM events WHERE ts_ms >= 0").pluck().get() as number;
    expect(Number(rolled)).toBe(Number(counted));
    expect(Number(counted)).toBeGreaterThan(events * 0.9);
  } finally {
    db.close();
  }
}

const ROLLUP_ROWS = "SELECT * FROM event_rollups ORDER BY dim, grain, bucket, ucn_k, key_k";

/** The rollups the writer kept equal the ones rebuilt from the events (the v9 backfill, re-pricing). */
function checkRebuild(file: string): void {
  const db = new Database(file);
  try {
    const kept = db.prepare(ROLLUP_ROWS).all();
    expect(kept.some((r) => (r as { grain: string }).grain === "a")).toBe(true);
    // Hour rows only where a report needs hours (schema v10): the totals.
    expect(
      db.prepare("SELECT DISTINCT dim FROM event_rollups WHERE grain = 'h' ORDER BY dim").pluck().all(),
    ).toEqual(["total"]);
    db.transaction(() => {
      db.prepare("DELETE FROM event_rollups").run();
      for (const sql of rollupInserts("events e", "event_labels e", "")) db.exec(sql);
      rebuildAllTimeRollups(db);
    })();
    expect(db.prepare(ROLLUP_ROWS).all()).toEqual(kept);
  } finally {
    db.close();
  }
}

function repriceAll(url: string): number {
  const db = openLedgerWriter(url);
  try {
    const pricer = new Pricer({ logger: { warn: () => {}, error: () => {} } });
    return reprice(db, pricer, { since: BASE - 30 * DAY, now: BASE + 3 * DAY, dryRun: false }).changed;
  } finally {
    db.close();
  }
}

describe("planRollups", () => {
  it("splits a range into raw edges, whole hours and whole days, each instant once", () => {
    expect(planRollups(BASE - 90 * 60_000, BASE + DAY + 2 * HOUR + 5)).toEqual({
      parts: [
        { grain: "h", lo: BASE / HOUR - 1, hi: BASE / HOUR },
        { grain: "d", lo: BASE / DAY, hi: BASE / DAY + 1 },
        { grain: "h", lo: BASE / HOUR + 24, hi: BASE / HOUR + 26 },
      ],
      raw: [
        { lo: BASE - 90 * 60_000, hi: BASE - HOUR },
        { lo: BASE + DAY + 2 * HOUR, hi: BASE + DAY + 2 * HOUR + 5 },
      ],
    });
    expect(planRollups(undefined, undefined)).toEqual({
      parts: [{ grain: "d", lo: 0, hi: null }],
      raw: [{ lo: -8.64e15, hi: 0 }],
    });
    // All-time rows (no use case filter, a plain key): whatever is from the epoch on.
    expect(planRollups(undefined, undefined, false, true)).toEqual({
      parts: [{ grain: "a", lo: 0, hi: null }],
      raw: [{ lo: -8.64e15, hi: 0 }],
    });
    expect(planRollups(0, undefined, false, true)).toEqual({
      parts: [{ grain: "a", lo: 0, hi: null }],
      raw: [],
    });
    expect(planRollups(BASE, undefined, false, true).parts[0]!.grain).toBe("d");
    expect(planRollups(BASE + 5, BASE + HOUR)).toEqual({
      parts: [],
      raw: [{ lo: BASE + 5, hi: BASE + HOUR }],
    });
  });

  it("reads the partial days raw for a dimension without hour rows (schema v10: all but total)", () => {
    expect(planRollups(BASE - 90 * 60_000, BASE + DAY + 2 * HOUR + 5, false, false, false)).toEqual({
      parts: [{ grain: "d", lo: BASE / DAY, hi: BASE / DAY + 1 }],
      raw: [
        { lo: BASE - 90 * 60_000, hi: BASE },
        { lo: BASE + DAY, hi: BASE + DAY + 2 * HOUR + 5 },
      ],
    });
    // Whole days: no raw edge after the epoch.
    expect(planRollups(BASE, BASE + 2 * DAY, false, false, false)).toEqual({
      parts: [{ grain: "d", lo: BASE / DAY, hi: BASE / DAY + 2 }],
      raw: [],
    });
    expect(planRollups(BASE + HOUR, BASE + 20 * HOUR, false, false, false)).toEqual({
      parts: [],
      raw: [{ lo: BASE + HOUR, hi: BASE + 20 * HOUR }],
    });
    expect(planRollups(undefined, undefined, false, false, false)).toEqual({
      parts: [{ grain: "d", lo: 0, hi: null }],
      raw: [{ lo: -8.64e15, hi: 0 }],
    });
    expect(planRollups(undefined, undefined, false, true, false).parts[0]!.grain).toBe("a");
    expect(() => planRollups(BASE, undefined, true, false, false)).toThrow(/hour rows/);
  });
});

describe("rollups on SQLite", () => {
  const dir = tempDir("costtrail-rollups-");
  const file = join(dir, "ledger.db");
  it("every report through rollups equals the raw query, before and after reprice", async () => {
    const sink = openLedger(file, { logger: recordingLogger(), installExitHooks: false });
    sink.write(records(EVENTS.slice(0, 900)));
    await sink.flush();
    sink.write(records([...RESENT, ...EVENTS.slice(900)]));
    await sink.shutdown();
    compareAll(file, 300);
    checkRebuild(file);
    expect(repriceAll(file)).toBeGreaterThan(0);
    compareAll(file, 150);
    checkRebuild(file);
  }, 60_000);

  it("without events before the epoch, reports leave that part out and stay equal", async () => {
    const after = join(dir, "after-epoch.db");
    const sink = openLedger(after, { logger: recordingLogger(), installExitHooks: false });
    const kept = EVENTS.filter((e) => Date.parse(e.ts) >= 0);
    sink.write(records(kept));
    await sink.shutdown();
    compareAll(after, 150, kept.length);
    checkRebuild(after);
  }, 60_000);
});

describe("a v9 ledger (hour rows for every dimension) migrates to v10", () => {
  const dir = tempDir("costtrail-rollups-v9-");
  it("keeps the totals' hour rows, drops the others', and every report still equals the raw query", () => {
    const file = join(dir, "v9.db");
    const v9 = new Database(file);
    migrate(v9, MIGRATIONS.slice(0, 9));
    expect(schemaVersion(v9)).toBe(9);
    createEventWriter(v9)(EVENTS.map(toPendingEvent));
    // What v9 kept besides: hour rows of every dimension and label kind, summed from the events as its backfill did.
    const measures = ROLLUP_MEASURE_SQL.join(", ");
    const hour = "e.ts_ms / 3600000";
    for (const [dim, col] of Object.entries(ROLLUP_DIMS)) {
      if (col === null) continue;
      v9.exec(
        `INSERT INTO event_rollups SELECT '${dim}', 'h', ${hour}, coalesce(e.use_case_name, X''),
           coalesce(e.${col}, X''), ${measures}
         FROM events e WHERE e.ts_ms >= 0 GROUP BY ${hour}, e.use_case_name, e.${col}`,
      );
    }
    v9.exec(
      `INSERT INTO event_rollups SELECT e.kind, 'h', ${hour}, coalesce(e.use_case_name, X''), e.value, ${measures}
       FROM event_labels e WHERE e.ts_ms >= 0 GROUP BY e.kind, ${hour}, e.use_case_name, e.value`,
    );
    const hourRows = (dims: string) =>
      v9
        .prepare(`SELECT count(*) FROM event_rollups WHERE grain = 'h' AND dim ${dims}`)
        .pluck()
        .get() as number;
    const totalHours = hourRows("= 'total'");
    expect(totalHours).toBeGreaterThan(0);
    expect(hourRows("<> 'total'")).toBeGreaterThan(totalHours);
    v9.close();

    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(11);
    expect(
      db.prepare("SELECT dim, count(*) FROM event_rollups WHERE grain = 'h' GROUP BY dim").raw().all(),
    ).toEqual([["total", totalHours]]);
    db.close();
    compareAll(file, 150);
    checkRebuild(file);
  }, 60_000);
});

/** The same random reports and charts from two ledgers holding the same events. */
function compareLedgers(fileUrl: string, pgUrl: string, rounds: number): void {
  const sqlite = openLedgerReader(fileUrl);
  const pg = openLedgerReader(pgUrl);
  try {
    for (let i = 0; i < rounds; i++) {
      const opts = randomOptions();
      expect(report(pg, opts), JSON.stringify(opts)).toEqual(report(sqlite, opts));
    }
    for (const bucket of ["hour", "day"] as const) {
      for (let i = 0; i < 10; i++) {
        const opts = randomChartOptions(bucket);
        expect(
          outcome(() => spendOverTime(pg, opts)),
          JSON.stringify(opts),
        ).toEqual(outcome(() => spendOverTime(sqlite, opts)));
      }
    }
  } finally {
    sqlite.close();
    pg.close();
  }
}

describe("Postgres keeps no rollups", () => {
  const pg = freshDatabase("rollups");
  it("its reports of the same events equal SQLite's through rollups, before and after reprice", async () => {
    const dir = tempDir("costtrail-rollups-pg-");
    const file = join(dir, "ledger.db");
    const logger = recordingLogger();
    const sink = new PostgresLedgerSink(pg.url(), {
      logger,
      installExitHooks: false,
      spoolRoot: join(dir, "spool"),
    });
    const local = openLedger(file, { logger, installExitHooks: false });
    for (const s of [sink, local]) {
      s.write(records(EVENTS.slice(0, 900)));
      await s.flush();
      s.write(records([...RESENT, ...EVENTS.slice(900)]));
      await s.shutdown();
    }
    expect([...logger.warnings, ...logger.errors]).toEqual([]);
    const db = openLedgerReader(pg.url());
    try {
      const tables = db
        .prepare("SELECT count(*) FROM pg_class WHERE relname = 'event_rollups'")
        .pluck()
        .get();
      expect(Number(tables)).toBe(0);
    } finally {
      db.close();
    }
    compareLedgers(file, pg.url(), 150);
    expect(repriceAll(pg.url())).toBe(repriceAll(file));
    compareLedgers(file, pg.url(), 80);
  }, 120_000);
});
