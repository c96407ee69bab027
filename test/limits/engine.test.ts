// The engine on its own, with an injected clock: windows, rollover, alerts across connections, leases.
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { LimitExceededError } from "../../src/errors.js";
import { openDatabase } from "../../src/ledger/open-database.js";
import {
  type Limit,
  LimitEngine,
  type LimitEngineOptions,
  limitStatuses,
  parseLimit,
  readLimits,
  upsertLimits,
} from "../../src/limits/index.js";
import type { Annotations, LimitAlert, LimitDefinition } from "../../src/types.js";
import { limit, sync, tempDir } from "./helpers.js";

const dir = tempDir("costtrail-limits-engine-");
let n = 0;
const freshPath = () => join(dir, `engine-${n++}.db`);

const engines: LimitEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.close();
});

class Clock {
  constructor(public ms: number) {}
  readonly now = () => this.ms;
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

function def(d: Partial<LimitDefinition> & Pick<LimitDefinition, "id">): Limit {
  return parseLimit(limit(d), "test");
}

function engine(options: Partial<LimitEngineOptions> & { path?: string } = {}): LimitEngine {
  const e = new LimitEngine({ db: openDatabase(options.path ?? ":memory:"), ...options });
  engines.push(e);
  return e;
}

const named = (...limitIds: string[]): Annotations => ({ limitIds });
const req = (annotations: Annotations, reserveMicros: number) => ({
  annotations,
  provider: "openai",
  requestModel: "m",
  reserveMicros,
});

/** Reserves and settles one call; returns the allow limits it exceeded. */
function spend(e: LimitEngine, annotations: Annotations, reserve: number, cost: number): string[] {
  const hold = sync(e.reserve(req(annotations, reserve)));
  if (!hold) throw new Error("no limit applied");
  return hold.settle(cost);
}

function blockedBy(fn: () => unknown): LimitExceededError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LimitExceededError) return error;
    throw error;
  }
  throw new Error("was not blocked");
}

function status(path: string, id: string, now: number) {
  const db = openDatabase(path);
  try {
    return limitStatuses(db, now).find((s) => s.id === id)!;
  } finally {
    db.close();
  }
}

describe("block", () => {
  it("counts spend and live reservations: blocks the reservation that would cross max, by the strict >", () => {
    const e = engine({ limits: [def({ id: "b", maxUsd: 0.001 })] }); // 1000 µ$
    const first = sync(e.reserve(req(named("b"), 600)))!;
    // 600 reserved + 500 > 1000: refused while the first is in flight.
    const err = blockedBy(() => sync(e.reserve(req(named("b"), 500))));
    expect(err).toMatchObject({ limitId: "b", spentUsd: 0, maxUsd: 0.001, window: "day" });
    expect(first.settle(300)).toEqual([]);
    // Now 300 spent + 700 = 1000: exactly at max is allowed.
    sync(e.reserve(req(named("b"), 700)))!.settle(700);
    const err2 = blockedBy(() => sync(e.reserve(req(named("b"), 1))));
    expect(err2.spentUsd).toBe(0.001);
  });

  it("a settlement the lock held back counts at its cost in the next check, not at its reservation", () => {
    const path = freshPath();
    const e = engine({ path, limits: [def({ id: "b", maxUsd: 0.001 })] });
    const first = sync(e.reserve(req(named("b"), 600)))!;
    // Another connection holds the write lock as the call ends: its settlement is kept for later.
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    expect(first.settle(300)).toEqual([]);
    other.exec("ROLLBACK");
    other.close();
    // The next call, right away (before any retry timer): 300 spent + 700 = 1000 fits; with the 600 reservation
    // still counted it would be refused.
    sync(e.reserve(req(named("b"), 700)))!.settle(700);
    expect(blockedBy(() => sync(e.reserve(req(named("b"), 1)))).spentUsd).toBe(0.001);
  });

  it("a released reservation (cost null or 0) frees its room", () => {
    const e = engine({ limits: [def({ id: "b", maxUsd: 0.001 })] });
    sync(e.reserve(req(named("b"), 1000)))!.settle(null);
    sync(e.reserve(req(named("b"), 1000)))!.settle(0);
    expect(() => sync(e.reserve(req(named("b"), 1000)))!.settle(1000)).not.toThrow();
  });

  it("a settled cost above its reservation is recorded as it is (spend is the truth)", () => {
    const path = freshPath();
    const clock = new Clock(Date.parse("2025-05-05T10:00:00Z"));
    const e = engine({ path, now: clock.now, limits: [def({ id: "b", maxUsd: 0.001 })] });
    spend(e, named("b"), 100, 1500);
    expect(status(path, "b", clock.ms)).toMatchObject({
      spentUsd: 0.0015,
      remainingUsd: 0,
      state: "exceeded",
    });
  });

  it("a settle is idempotent", () => {
    const e = engine({ limits: [def({ id: "a", maxUsd: 0.001, mode: "allow" })] });
    const hold = sync(e.reserve(req(named("a"), 10)))!;
    expect(hold.settle(2000)).toEqual(["a"]);
    expect(hold.settle(2000)).toEqual([]);
  });
});

describe("allow", () => {
  it("never throws; reports the id once spend (with the real cost) is past max", () => {
    const e = engine({ limits: [def({ id: "a", maxUsd: 0.001, mode: "allow" })] });
    expect(spend(e, named("a"), 5000, 900)).toEqual([]);
    expect(spend(e, named("a"), 5000, 100)).toEqual([]); // exactly at max: not past it
    expect(spend(e, named("a"), 5000, 1)).toEqual(["a"]);
    expect(spend(e, named("a"), 5000, 0)).toEqual(["a"]); // still past it
  });
});

describe("windows roll over on their boundary, with no job", () => {
  it.each([
    ["day", "2025-05-05T23:59:59.000Z", "2025-05-06T00:00:00.000Z"],
    ["week", "2025-05-11T23:59:59.000Z", "2025-05-12T00:00:00.000Z"], // Sunday → Monday
    ["month", "2025-05-31T23:59:59.000Z", "2025-06-01T00:00:00.000Z"],
  ] as const)("%s", (window, last, next) => {
    const path = freshPath();
    const clock = new Clock(Date.parse(last));
    const e = engine({ path, now: clock.now, limits: [def({ id: "w", maxUsd: 0.001, window })] });
    spend(e, named("w"), 1000, 1000);
    blockedBy(() => sync(e.reserve(req(named("w"), 1))));
    expect(status(path, "w", clock.ms)).toMatchObject({ spentUsd: 0.001, resetsAt: next });
    clock.set(next);
    expect(status(path, "w", clock.ms)).toMatchObject({ spentUsd: 0, windowStart: next, pct: 0 });
    expect(() => spend(e, named("w"), 1000, 1000)).not.toThrow();
    blockedBy(() => sync(e.reserve(req(named("w"), 1))));
  });

  it("total never resets", () => {
    const clock = new Clock(Date.parse("2025-01-01T00:00:00Z"));
    const e = engine({ now: clock.now, limits: [def({ id: "t", maxUsd: 0.001, window: "total" })] });
    spend(e, named("t"), 1000, 1000);
    clock.set("2031-07-01T00:00:00Z");
    blockedBy(() => sync(e.reserve(req(named("t"), 1))));
  });

  it("a call settles into the window it started in", () => {
    const path = freshPath();
    const clock = new Clock(Date.parse("2025-05-05T23:59:59Z"));
    const e = engine({ path, now: clock.now, limits: [def({ id: "d", maxUsd: 1 })] });
    const hold = sync(e.reserve(req(named("d"), 500)))!;
    clock.set("2025-05-06T00:00:05Z");
    hold.settle(400);
    expect(status(path, "d", clock.ms).spentUsd).toBe(0);
    expect(status(path, "d", Date.parse("2025-05-05T12:00:00Z")).spentUsd).toBe(0.0004);
  });
});

describe("alerts", () => {
  it("fire at alertAtPct and at 100 %, once per window, again in the next window", () => {
    const clock = new Clock(Date.parse("2025-05-05T08:00:00Z"));
    const alerts: LimitAlert[] = [];
    const e = engine({
      now: clock.now,
      onLimitAlert: (a) => alerts.push(a),
      limits: [def({ id: "a", maxUsd: 0.001, mode: "allow", alertAtPct: 80 })],
    });
    spend(e, named("a"), 0, 700);
    expect(alerts).toEqual([]);
    spend(e, named("a"), 0, 100); // 80 %
    expect(alerts.map((a) => a.thresholdPct)).toEqual([80]);
    spend(e, named("a"), 0, 100); // 90 %
    spend(e, named("a"), 0, 500); // 140 %
    spend(e, named("a"), 0, 500);
    expect(alerts).toEqual([
      {
        limitId: "a",
        window: "day",
        thresholdPct: 80,
        spentUsd: 0.0008,
        maxUsd: 0.001,
        windowStart: "2025-05-05T00:00:00.000Z",
      },
      {
        limitId: "a",
        window: "day",
        thresholdPct: 100,
        spentUsd: 0.0014,
        maxUsd: 0.001,
        windowStart: "2025-05-05T00:00:00.000Z",
      },
    ]);
    clock.set("2025-05-06T08:00:00Z");
    spend(e, named("a"), 0, 2000); // jumps past both at once: both fire, in order
    expect(alerts.slice(2).map((a) => [a.thresholdPct, a.windowStart])).toEqual([
      [80, "2025-05-06T00:00:00.000Z"],
      [100, "2025-05-06T00:00:00.000Z"],
    ]);
  });

  it("fire once across engines (processes) sharing a ledger", () => {
    const path = freshPath();
    const alerts: string[] = [];
    const limits = [def({ id: "shared", maxUsd: 0.001, mode: "allow", alertAtPct: 50 })];
    const one = engine({ path, limits, onLimitAlert: (a) => alerts.push(`one:${a.thresholdPct}`) });
    const two = engine({ path, limits, onLimitAlert: (a) => alerts.push(`two:${a.thresholdPct}`) });
    spend(one, named("shared"), 0, 300);
    spend(two, named("shared"), 0, 300); // 60 %: two crosses 50
    spend(one, named("shared"), 0, 300);
    spend(two, named("shared"), 0, 300); // 120 %: two crosses 100
    spend(one, named("shared"), 0, 300);
    spend(two, named("shared"), 0, 300);
    expect(alerts).toEqual(["two:50", "two:100"]);
  });
});

describe("which limits apply", () => {
  it("named ones (unknown names ignored) plus scoped ones whose every key matches", () => {
    const e = engine({
      limits: [
        def({ id: "named", maxUsd: 0 }),
        def({ id: "user", maxUsd: 0, scope: { userId: "u1" } }),
        def({ id: "acct-uc", maxUsd: 0, scope: { accountName: "acme", useCaseName: "chat" } }),
      ],
    });
    expect(sync(e.reserve(req({}, 1)))).toBeUndefined();
    expect(sync(e.reserve(req({ limitIds: ["unknown"] }, 1)))).toBeUndefined();
    expect(blockedBy(() => sync(e.reserve(req(named("named"), 1)))).limitId).toBe("named");
    expect(blockedBy(() => sync(e.reserve(req({ userId: "u1" }, 1)))).limitId).toBe("user");
    expect(sync(e.reserve(req({ userId: "u2" }, 1)))).toBeUndefined();
    expect(sync(e.reserve(req({ accountName: "acme" }, 1)))).toBeUndefined();
    expect(
      blockedBy(() => sync(e.reserve(req({ accountName: "acme", useCaseName: "chat" }, 1)))).limitId,
    ).toBe("acct-uc");
    // A scoped limit named explicitly applies whatever the call's user.
    expect(blockedBy(() => sync(e.reserve(req({ limitIds: ["user"], userId: "u2" }, 1)))).limitId).toBe(
      "user",
    );
    // An unpriced call (nothing to reserve) is never blocked by a $0 limit that nothing was spent against.
    expect(sync(e.reserve(req(named("named"), 0)))).toBeDefined();
  });

  it("the first block limit that would be exceeded is the one reported; nothing is reserved then", () => {
    const path = freshPath();
    const clock = new Clock(Date.now());
    const e = engine({
      path,
      now: clock.now,
      limits: [def({ id: "roomy", maxUsd: 1 }), def({ id: "tight", maxUsd: 0.0001 })],
    });
    expect(blockedBy(() => sync(e.reserve(req(named("roomy", "tight"), 500)))).limitId).toBe("tight");
    expect(status(path, "roomy", clock.ms).reservedUsd).toBe(0);
  });
});

describe("definitions", () => {
  it("config ones are stored (source config) and win in-process over a stored one with the same id", () => {
    const path = freshPath();
    const db = openDatabase(path);
    upsertLimits(db, [def({ id: "x", maxUsd: 0 }), def({ id: "stored-only", maxUsd: 0 })], "cli", 1);
    db.close();
    const e = engine({ path, limits: [def({ id: "x", maxUsd: 1 })] });
    expect(sync(e.reserve(req(named("x"), 1000)))).toBeDefined();
    blockedBy(() => sync(e.reserve(req(named("stored-only"), 1))));
    const check = openDatabase(path);
    expect(readLimits(check).map((l) => [l.id, l.source, l.maxMicros])).toEqual([
      ["stored-only", "cli", 0],
      ["x", "config", 1_000_000],
    ]);
    check.close();
  });

  it("a changed stored definition is used from the next limited call on (version check under the lock)", () => {
    const path = freshPath();
    const db = openDatabase(path);
    upsertLimits(db, [def({ id: "s", maxUsd: 1 })], "cli", 1);
    const e = engine({ path, refreshMs: 60_000 });
    sync(e.reserve(req(named("s"), 5000)))!.settle(5000);
    upsertLimits(db, [def({ id: "s", maxUsd: 0.001 })], "cli", 2);
    blockedBy(() => sync(e.reserve(req(named("s"), 1))));
    db.close();
  });

  it("re-upserting unchanged definitions does not bump the version", () => {
    const path = freshPath();
    const db = openDatabase(path);
    const version = () => db.prepare("SELECT value FROM limit_meta").pluck().get();
    upsertLimits(db, [def({ id: "s", maxUsd: 1 })], "config", 1);
    const v = version();
    upsertLimits(db, [def({ id: "s", maxUsd: 1 })], "config", 2);
    expect(version()).toBe(v);
    upsertLimits(db, [def({ id: "s", maxUsd: 2 })], "config", 3);
    expect(version()).not.toBe(v);
    db.close();
  });
});

describe("reservations are leases", () => {
  it("a reservation nobody renews stops counting after the TTL (a killed process)", () => {
    const path = freshPath();
    const clock = new Clock(Date.parse("2025-05-05T10:00:00Z"));
    const limits = [def({ id: "b", maxUsd: 0.001 })];
    const dead = engine({ path, now: clock.now, limits, reservationTtlMs: 30_000 });
    sync(dead.reserve(req(named("b"), 1000))); // never settled, never renewed (the clock is frozen for its timer)
    const alive = engine({ path, now: clock.now, limits, reservationTtlMs: 30_000 });
    blockedBy(() => sync(alive.reserve(req(named("b"), 1))));
    expect(status(path, "b", clock.ms).reservedUsd).toBe(0.001);
    clock.advance(30_000);
    expect(status(path, "b", clock.ms).reservedUsd).toBe(0);
    expect(() => sync(alive.reserve(req(named("b"), 1000)))!.settle(1000)).not.toThrow();
  });

  it("a reservation lapses at its max age even while its process renews it (issue 22 item 2)", async () => {
    const path = freshPath();
    const start = Date.now();
    let offset = 0;
    const now = () => start + offset;
    const limits = [def({ id: "b", maxUsd: 0.001 })];
    // TTL 60 s, renewed every 100 ms by the engine's timer; max age 300 ms of the engine's clock.
    const e = engine({ path, now, limits, reservationTtlMs: 60_000, reservationMaxAgeMs: 300 });
    const held = sync(e.reserve(req(named("b"), 1000)))!;
    blockedBy(() => e.reserve(req(named("b"), 1)));
    offset = 200;
    await new Promise((r) => setTimeout(r, 250)); // renewals happen, capped at the max age
    expect(status(path, "b", now()).reservedUsd).toBe(0.001);
    offset = 301;
    await new Promise((r) => setTimeout(r, 250));
    expect(status(path, "b", now()).reservedUsd).toBe(0);
    const next = sync(e.reserve(req(named("b"), 1000)))!;
    // The lapsed call's real cost still counts when it ends.
    held.settle(400);
    next.release();
    expect(status(path, "b", now())).toMatchObject({ reservedUsd: 0, spentUsd: 0.0004 });
  });

  it("close() waits for calls in flight, then releases and closes", () => {
    const path = freshPath();
    const e = engine({ path, limits: [def({ id: "b", maxUsd: 1 })] });
    const hold = sync(e.reserve(req(named("b"), 1000)))!;
    e.close();
    expect(sync(e.reserve(req(named("b"), 1)))).toBeUndefined();
    expect(status(path, "b", Date.now()).reservedUsd).toBe(0.001);
    hold.settle(600);
    expect(status(path, "b", Date.now())).toMatchObject({ reservedUsd: 0, spentUsd: 0.0006 });
  });
});

describe("limitStatuses", () => {
  it("returns [] on a ledger without limit tables, read-only", () => {
    const path = freshPath();
    const db = openDatabase(path);
    db.exec("DROP TABLE limits");
    db.close();
    const ro = new Database(path, { readonly: true });
    expect(limitStatuses(ro)).toEqual([]);
    ro.close();
  });

  it("works on a read-only connection", () => {
    const path = freshPath();
    const e = engine({ path, limits: [def({ id: "r", maxUsd: 1 })] });
    spend(e, named("r"), 10, 10);
    const ro = new Database(path, { readonly: true });
    expect(limitStatuses(ro).map((s) => [s.id, s.spentUsd])).toEqual([["r", 0.00001]]);
    ro.close();
  });

  it("reports spent, reserved, remaining, pct, state and the window", () => {
    const path = freshPath();
    const clock = new Clock(Date.parse("2025-05-14T10:00:00Z"));
    const e = engine({
      path,
      now: clock.now,
      limits: [def({ id: "m", maxUsd: 0.01, window: "month", alertAtPct: 50, scope: { userId: "u" } })],
    });
    spend(e, named("m"), 6000, 6000);
    sync(e.reserve(req(named("m"), 1500)));
    expect(status(path, "m", clock.ms)).toEqual({
      id: "m",
      maxUsd: 0.01,
      window: "month",
      mode: "block",
      alertAtPct: 50,
      scope: { userId: "u" },
      windowStart: "2025-05-01T00:00:00.000Z",
      resetsAt: "2025-06-01T00:00:00.000Z",
      spentUsd: 0.006,
      reservedUsd: 0.0015,
      remainingUsd: 0.0025,
      pct: 60,
      state: "alert",
      blocked: 0,
      source: "config",
    });
  });
});
