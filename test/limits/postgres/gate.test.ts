// The fleet-wide limit gate against the real PostgreSQL: reservations, settlement, release, lapse, outages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LimitExceededError } from "../../../src/errors.js";
import { type Limit, parseLimits } from "../../../src/limits/definition.js";
import type { LimitHold, ReserveRequest } from "../../../src/limits/gate.js";
import { PostgresLimitGate } from "../../../src/limits/postgres/gate.js";
import { LIMIT_SCHEMA_VERSION } from "../../../src/limits/postgres/schema.js";
import { windowStart } from "../../../src/limits/windows.js";
import type { Annotations } from "../../../src/types.js";
import { createTestDatabase, type TestDatabase, eventually as waitFor } from "./database.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

let counter = 0;
const fresh = () => `l${counter++}`;
const limits = (...defs: object[]): Limit[] => parseLimits(defs);
const named = (...ids: string[]): Annotations => ({ limitIds: ids });
const req = (annotations: Annotations, reserveNanos: number): ReserveRequest => ({
  annotations,
  provider: "openai",
  requestModel: "m",
  reserveMicros: Math.ceil(reserveNanos / 1000),
  reserveNanos,
});

const gates: PostgresLimitGate[] = [];
function gate(defs: Limit[], more: Partial<ConstructorParameters<typeof PostgresLimitGate>[0]> = {}) {
  const g = new PostgresLimitGate({ url: db.url, limits: defs, ...more });
  gates.push(g);
  return g;
}
const holds: LimitHold[] = [];
afterAll(async () => {
  // A gate closes once every call it admitted has ended.
  for (const h of holds) h.release();
  await Promise.all(gates.map((g) => g.close()));
});

async function reserve(g: PostgresLimitGate, r: ReserveRequest): Promise<LimitHold> {
  const hold = await g.reserve(r);
  if (!hold) throw new Error("no hold");
  holds.push(hold);
  return hold;
}

async function spentNanos(id: string): Promise<bigint> {
  const rows = await db.query(
    "SELECT coalesce(sum(spent_nanos), 0)::text AS s FROM costtrail_limit_windows WHERE limit_id = $1",
    [id],
  );
  return BigInt(rows[0].s);
}

async function liveNanos(id: string): Promise<bigint> {
  const rows = await db.query(
    "SELECT coalesce(sum(nanos), 0)::text AS s FROM costtrail_limit_reservations WHERE limit_id = $1 AND expires_ms > costtrail_now_ms()",
    [id],
  );
  return BigInt(rows[0].s);
}

describe("PostgresLimitGate", () => {
  it("creates its schema once when many gates start at the same moment", async () => {
    const id = fresh();
    const many = Array.from({ length: 8 }, () =>
      gate(limits({ id, maxUsd: 1, window: "day", mode: "block" })),
    );
    await Promise.all(many.map((g) => g.ready));
    const version = await db.query("SELECT version FROM costtrail_limit_schema");
    expect(version).toEqual([{ version: LIMIT_SCHEMA_VERSION }]);
    const stored = await db.query("SELECT id, max_nanos::text AS max FROM costtrail_limits WHERE id = $1", [
      id,
    ]);
    expect(stored).toEqual([{ id, max: "1000000000" }]);
  });

  it("answers at once, without a promise, for a call no limit applies to", async () => {
    const g = gate(limits({ id: fresh(), maxUsd: 1, window: "day", mode: "block" }));
    await g.ready;
    expect(g.reserve(req({ useCaseName: "x" }, 5))).toBeUndefined();
  });

  it("reserves, refuses past the limit, settles the exact nano-USD cost and releases", async () => {
    const id = fresh();
    // $0.00001 = 10_000 nano-USD.
    const g = gate(limits({ id, maxUsd: 0.00001, window: "day", mode: "block" }));
    const a = await reserve(g, req(named(id), 6_000));
    expect(await liveNanos(id)).toBe(6_000n);
    // 6000 reserved + 6000 > 10000: refused, with the settled spend so far.
    const refused = await Promise.resolve(g.reserve(req(named(id), 6_000))).catch((e) => e);
    expect(refused).toBeInstanceOf(LimitExceededError);
    expect(refused).toMatchObject({ limitId: id, spentUsd: 0, maxUsd: 0.00001, window: "day" });
    expect(a.settle(2, 1_234)).toEqual([]);
    await waitFor(async () => (await spentNanos(id)) === 1_234n);
    expect(await liveNanos(id)).toBe(0n);
    const b = await reserve(g, req(named(id), 8_000));
    b.release();
    b.release();
    await waitFor(async () => (await liveNanos(id)) === 0n);
    expect(await spentNanos(id)).toBe(1_234n);
    // 1234 spent + 8766 = 10000: exactly at the limit is allowed, one nano-USD more is not.
    const c = await reserve(g, req(named(id), 8_766));
    await expect(Promise.resolve(g.reserve(req(named(id), 1)))).rejects.toBeInstanceOf(LimitExceededError);
    c.settle(9, 8_766);
    await waitFor(async () => (await spentNanos(id)) === 10_000n);
  });

  it("counts every process's calls: two gates on one limit share its spend", async () => {
    const id = fresh();
    const def = limits({ id, maxUsd: 0.00001, window: "day", mode: "block" });
    const [g1, g2] = [gate(def), gate(def)];
    const h1 = await reserve(g1, req(named(id), 5_000));
    const h2 = await reserve(g2, req(named(id), 5_000));
    await expect(Promise.resolve(g1.reserve(req(named(id), 1)))).rejects.toBeInstanceOf(LimitExceededError);
    await expect(Promise.resolve(g2.reserve(req(named(id), 1)))).rejects.toBeInstanceOf(LimitExceededError);
    h1.settle(5, 5_000);
    h2.release();
    await waitFor(async () => (await spentNanos(id)) === 5_000n && (await liveNanos(id)) === 0n);
    expect(await reserve(g2, req(named(id), 5_000))).toBeDefined();
  });

  it("never lets concurrent reservations together past the limit", async () => {
    const id = fresh();
    const def = limits({ id, maxUsd: 0.0001, window: "day", mode: "block" });
    const gs = [gate(def), gate(def), gate(def)];
    await Promise.all(gs.map((g) => g.ready));
    const answers = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => reserve(gs[i % 3]!, req(named(id), 7_000))),
    );
    const held = answers.filter((a) => a.status === "fulfilled");
    // 100_000 / 7_000: 14 fit.
    expect(held).toHaveLength(14);
    expect(
      answers.filter((a) => a.status === "rejected").every((a) => a.reason instanceof LimitExceededError),
    ).toBe(true);
    expect(await liveNanos(id)).toBe(98_000n);
  });

  it("locks several limits in one order: calls naming them in opposite orders do not deadlock", async () => {
    const [x, y] = [fresh(), fresh()];
    const def = limits(
      { id: x, maxUsd: 1, window: "day", mode: "block" },
      { id: y, maxUsd: 1, window: "day", mode: "block" },
    );
    const gs = [gate(def), gate(def)];
    const holds = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        reserve(gs[i % 2]!, req(i % 2 ? named(x, y) : named(y, x), 1_000)),
      ),
    );
    expect(await liveNanos(x)).toBe(40_000n);
    for (const h of holds) h.settle(1, 1_000);
    await waitFor(async () => (await spentNanos(y)) === 40_000n);
  });

  it("flags allow limits and fires each alert once across the fleet", async () => {
    const id = fresh();
    const alerts: unknown[] = [];
    const def = limits({ id, maxUsd: 0.00001, window: "day", mode: "allow", alertAtPct: 50 });
    const [g1, g2] = [
      gate(def, { onLimitAlert: (a) => alerts.push(a) }),
      gate(def, { onLimitAlert: (a) => alerts.push(a) }),
    ];
    const h1 = await reserve(g1, req(named(id), 100_000));
    expect(h1.settle(6, 6_000)).toEqual([]);
    await waitFor(() => alerts.length === 1);
    const h2 = await reserve(g2, req(named(id), 100_000));
    h2.settle(6, 6_000);
    await waitFor(() => alerts.length === 2);
    const h3 = await reserve(g1, req(named(id), 100_000));
    // g1 saw 6000 of its own settlement; with 6000 more it knows the limit is past.
    expect(h3.settle(6, 6_000)).toEqual([id]);
    await waitFor(async () => (await spentNanos(id)) === 18_000n);
    expect(alerts).toMatchObject([
      { limitId: id, thresholdPct: 50 },
      { limitId: id, thresholdPct: 100 },
    ]);
  });

  it("lets a reservation lapse after its max age, even while its process is alive", async () => {
    const id = fresh();
    const g = gate(limits({ id, maxUsd: 0.00001, window: "day", mode: "block" }), {
      reservationTtlMs: 60_000,
      reservationMaxAgeMs: 300,
    });
    const held = await reserve(g, req(named(id), 9_000));
    await expect(Promise.resolve(g.reserve(req(named(id), 9_000)))).rejects.toBeInstanceOf(
      LimitExceededError,
    );
    await waitFor(async () => (await liveNanos(id)) === 0n);
    const next = await reserve(g, req(named(id), 9_000));
    // The lapsed call's real cost is still counted when it ends.
    held.settle(1, 500);
    next.release();
    await waitFor(async () => (await spentNanos(id)) === 500n);
  });

  it("keeps counting a limit schema version 1 process's live reservation across the upgrade", async () => {
    const id = fresh();
    const def = limits({ id, maxUsd: 0.00001, window: "day", mode: "block" });
    await gate(def).ready;
    // A version-1 database once version 2's columns exist: the window row a version-1 reservation created,
    // and that process's live reservation of 9,000 nano-USD, in no window's sum yet.
    const ws = String(windowStart("day", Date.now()));
    await db.query("INSERT INTO costtrail_limit_windows (limit_id, window_start_ms) VALUES ($1, $2)", [
      id,
      ws,
    ]);
    await db.query(
      `INSERT INTO costtrail_limit_reservations (limit_id, window_start_ms, owner, seq, nanos, created_ms, expires_ms)
       VALUES ($1, $2, 'v1-process', 1, 9000, costtrail_now_ms(), costtrail_now_ms() + 60000)`,
      [id, ws],
    );
    await db.query("UPDATE costtrail_limit_schema SET version = 1");
    const g = gate(def);
    await g.ready;
    expect(await db.query("SELECT version FROM costtrail_limit_schema")).toEqual([
      { version: LIMIT_SCHEMA_VERSION },
    ]);
    await expect(Promise.resolve(g.reserve(req(named(id), 2_000)))).rejects.toBeInstanceOf(
      LimitExceededError,
    );
    // The version-1 process settles with its own statement: its reservation stops counting, its cost counts.
    await db.query("SELECT * FROM costtrail_settle(ARRAY[$1], ARRAY[$2::bigint], 'v1-process', 1, 1000)", [
      id,
      ws,
    ]);
    const next = await reserve(g, req(named(id), 9_000));
    await expect(Promise.resolve(g.reserve(req(named(id), 1_000)))).rejects.toBeInstanceOf(
      LimitExceededError,
    );
    next.release();
    expect(await spentNanos(id)).toBe(1_000n);
  });

  it("follows limitsWhenLedgerDown when Postgres cannot be reached", async () => {
    const id = fresh();
    const def = limits({ id, maxUsd: 1, window: "day", mode: "block" });
    const unreachable = "postgres://postgres:s3cret@127.0.0.1:1/nowhere";
    const allow = gate(def, { url: unreachable, whenDown: "allow" } as never);
    const hold = await allow.reserve(req(named(id), 1_000));
    expect(hold).toBeDefined();
    expect(hold!.settle(1, 1_000)).toEqual([]);
    const block = gate(def, { url: unreachable, whenDown: "block" } as never);
    await expect(Promise.resolve().then(() => block.reserve(req(named(id), 1_000)))).rejects.toBeInstanceOf(
      LimitExceededError,
    );
  });
});
