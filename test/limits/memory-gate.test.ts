// The in-memory gate (no shared ledger file) must decide exactly as the SQLite engine does: the same scripted
// traffic — reservations, settlements, releases, scoped and named limits, windows rolling over — run through
// both, with the same clock, gives the same admissions, blocks (with their numbers), exceeded ids and alerts.
import { afterEach, describe, expect, it } from "vitest";
import { LimitExceededError } from "../../src/errors.js";
import { openDatabase } from "../../src/ledger/open-database.js";
import type { LimitGate, LimitHold } from "../../src/limits/gate.js";
import { type Limit, LimitEngine, parseLimit } from "../../src/limits/index.js";
import { MemoryLimitGate } from "../../src/limits/memory-gate.js";
import type { Annotations, LimitAlert, LimitDefinition } from "../../src/types.js";
import { limit } from "./helpers.js";

const def = (d: Partial<LimitDefinition> & Pick<LimitDefinition, "id">): Limit =>
  parseLimit(limit(d), "test");

const LIMITS: Limit[] = [
  def({ id: "day-block", maxUsd: 0.05, window: "day", mode: "block", alertAtPct: 50 }),
  def({ id: "week-allow", maxUsd: 0.005, window: "week", mode: "allow", alertAtPct: 80 }),
  def({ id: "month-block", maxUsd: 0.2, window: "month", mode: "block" }),
  def({ id: "total-allow", maxUsd: 0.05, window: "total", mode: "allow", alertAtPct: 90 }),
  def({ id: "alice", maxUsd: 0.01, window: "day", mode: "block", scope: { userId: "alice" } }),
  def({ id: "acme-chat", maxUsd: 0.003, mode: "allow", scope: { accountName: "acme", useCaseName: "chat" } }),
  def({ id: "zero", maxUsd: 0, window: "day", mode: "block" }),
];
const IDS = ["day-block", "week-allow", "month-block", "total-allow", "zero", "unknown-id"];

const engines: LimitEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.close();
});

/** A deterministic pseudo-random sequence (LCG), so a failure replays. */
function random(seed: number) {
  let x = seed;
  return (n: number) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((x / 2 ** 31) * n); // the high bits: an LCG's low bits cycle quickly
  };
}

interface Outcome {
  op: string;
  result: unknown;
}

function run(seed: number, makeGate: (now: () => number, alerts: LimitAlert[]) => LimitGate) {
  let ms = Date.parse("2025-01-30T22:00:00Z");
  const alerts: LimitAlert[] = [];
  const gate = makeGate(() => ms, alerts);
  const next = random(seed);
  const open: LimitHold[] = [];
  const log: Outcome[] = [];
  for (let step = 0; step < 600; step++) {
    const choice = next(10);
    if (choice < 5 || open.length === 0) {
      const annotations: Annotations = {
        limitIds: [IDS[next(IDS.length)]!, ...(next(3) === 0 ? [IDS[next(IDS.length)]!] : [])].filter(
          (id) => id !== "zero" || next(20) === 0,
        ),
        ...(next(3) === 0 ? { userId: next(2) ? "alice" : "bob" } : {}),
        ...(next(4) === 0 ? { accountName: "acme", useCaseName: next(2) ? "chat" : "search" } : {}),
      };
      try {
        const hold = gate.reserve({
          annotations,
          provider: "openai",
          requestModel: "m",
          reserveMicros: next(3000) + 0.4,
        });
        if (hold instanceof Promise) throw new Error("both gates answer synchronously");
        log.push({ op: "reserve", result: hold ? "held" : "none" });
        if (hold) open.push(hold);
      } catch (error) {
        if (!(error instanceof LimitExceededError)) throw error;
        const { limitId, spentUsd, maxUsd, window } = error;
        log.push({
          op: "reserve",
          result: { blocked: { limitId, spentUsd, maxUsd, window, message: error.message } },
        });
      }
    } else if (choice < 8) {
      const [hold] = open.splice(next(open.length), 1);
      const cost = next(5) === 0 ? null : next(4000);
      log.push({ op: "settle", result: hold!.settle(cost) });
      log.push({ op: "settle again", result: hold!.settle(cost) });
    } else if (choice < 9) {
      const [hold] = open.splice(next(open.length), 1);
      hold!.release();
      hold!.release();
      log.push({ op: "release", result: null });
    } else {
      ms += next(6) * 3_600_000; // hours pass: days, weeks and a month boundary go by
    }
  }
  for (const hold of open) hold.settle(1);
  return { log, alerts };
}

describe("the in-memory gate decides as the SQLite engine does", () => {
  for (const seed of [1, 7, 42, 2025]) {
    it(`scripted traffic, seed ${seed}`, () => {
      const sqlite = run(seed, (now, alerts) => {
        const e = new LimitEngine({
          db: openDatabase(":memory:"),
          limits: LIMITS,
          now,
          // Longer than the script: in-process reservations live until they end (lease and max age alike).
          reservationTtlMs: 30 * 86_400_000,
          reservationMaxAgeMs: 30 * 86_400_000,
          onLimitAlert: (a) => alerts.push(a),
        });
        engines.push(e);
        return e;
      });
      const memory = run(
        seed,
        (now, alerts) =>
          new MemoryLimitGate({
            limits: LIMITS,
            now,
            reservationMaxAgeMs: 30 * 86_400_000,
            onLimitAlert: (a) => alerts.push(a),
          }),
      );
      expect(memory.log).toEqual(sqlite.log);
      expect(memory.alerts).toEqual(sqlite.alerts);
      // The script exercised what it is meant to.
      const results = sqlite.log.map((o) => JSON.stringify(o.result));
      expect(results.some((r) => r.includes("blocked") && !r.includes('"zero"'))).toBe(true);
      expect(results.some((r) => r.includes("week-allow") && !r.includes("blocked"))).toBe(true);
      expect(sqlite.alerts.length).toBeGreaterThan(3);
    });
  }

  it("a closed gate reserves nothing", () => {
    const gate = new MemoryLimitGate({ limits: LIMITS });
    gate.close();
    expect(
      gate.reserve({
        annotations: { limitIds: ["zero"] },
        provider: "p",
        requestModel: "m",
        reserveMicros: 1,
      }),
    ).toBeUndefined();
  });

  it("a reservation lapses at its max age; its call's cost still counts when it ends (issue 22 item 2)", async () => {
    const start = Date.now();
    let offset = 0;
    const gate = new MemoryLimitGate({
      limits: [def({ id: "b", maxUsd: 0.001, window: "day", mode: "block" })],
      now: () => start + offset,
      reservationMaxAgeMs: 200,
    });
    const ask = (micros: number) =>
      gate.reserve({
        annotations: { limitIds: ["b"] },
        provider: "p",
        requestModel: "m",
        reserveMicros: micros,
      });
    const held = ask(1000)!;
    expect(() => ask(1)).toThrow(LimitExceededError);
    offset = 201;
    await new Promise((r) => setTimeout(r, 150)); // the sweep runs every max age / 4
    const next = ask(600)!;
    held.settle(400);
    // 400 spent + 600 reserved: full.
    expect(() => ask(1)).toThrow(LimitExceededError);
    next.release();
    expect(ask(600)).toBeDefined();
    gate.close();
  });
});
