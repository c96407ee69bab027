// Issue 16 part 2: one block limit enforced across a fleet of real processes on one Postgres, the real OpenAI
// SDK against the mock provider over HTTP; one process killed with its calls in flight.
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLimits } from "../../../src/limits/definition.js";
import { ensureLimitSchema } from "../../../src/limits/postgres/schema.js";
import { upsertPostgresLimits } from "../../../src/limits/postgres/store.js";
import { type MockProvider, startMockProvider } from "../../../src/testing.js";
import { startTsxChild, type TsxChild } from "../../support/child.js";
import { createTestDatabase, eventually, type TestDatabase } from "./database.js";

const WORKER = fileURLToPath(new URL("../fixtures/worker.ts", import.meta.url));
let db: TestDatabase;
let fast: MockProvider;
let slow: MockProvider;
beforeAll(async () => {
  db = await createTestDatabase();
  fast = await startMockProvider({ latencyMs: 15 });
  // Never answers within the test: its calls are in flight when their process is killed.
  slow = await startMockProvider({ latencyMs: 120_000 });
});
afterAll(async () => {
  await Promise.all([fast.close(), slow.close()]);
  await db.drop();
});

const MAX_USD = 0.05;
const LIMIT = "fleet";
const TTL_MS = 2_000;

function startWorker(args: string[], mock: MockProvider): TsxChild {
  return startTsxChild(WORKER, [db.url, ...args], {
    ...process.env,
    MOCK_URL: mock.url,
    COSTTRAIL_LIMITS_RESERVATION_TTL_MS: String(TTL_MS),
  });
}

const result = (w: TsxChild) =>
  JSON.parse(w.stdout().trim().split("\n").at(-1)!) as {
    ok: number;
    blocked: number;
    failed: number;
    okNanos: number;
  };

async function one<T = any>(sql: string): Promise<T> {
  return (await db.query(sql))[0] as T;
}

describe("3 processes × 30 concurrent calls on one Postgres, one block limit", () => {
  it("spend stays within the limit, every call is counted once, a killed process's reservations lapse", async () => {
    // Stored before the apps start, as `costtrail limits set` would: the workers have no limits in their config.
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    await ensureLimitSchema(pool);
    await upsertPostgresLimits(
      pool,
      parseLimits([{ id: LIMIT, maxUsd: MAX_USD, window: "day", mode: "block" }]),
      "cli",
      Date.now(),
    );
    await pool.end();

    const doomed = startWorker(["10", "1", LIMIT, "doomed"], slow);
    await eventually(() => slow.requests.length >= 10, 90_000);
    const reservedBefore = await one<{ n: string }>(
      `SELECT count(*) AS n FROM costtrail_limit_reservations WHERE limit_id = '${LIMIT}' AND expires_ms > costtrail_now_ms()`,
    );
    expect(Number(reservedBefore.n)).toBe(10);
    const workers = Array.from({ length: 3 }, (_, i) => startWorker(["30", "3", LIMIT, `w${i}`], fast));
    await eventually(() => fast.requests.length >= 30, 90_000);
    doomed.proc.kill("SIGKILL");
    expect((await doomed.exited).signal).toBe("SIGKILL");

    const exits = await Promise.all(workers.map((w) => w.exited));
    const results = workers.map((w, i) => {
      expect(exits[i], w.stderr()).toEqual({ code: 0, signal: null });
      return result(w);
    });
    const ok = results.reduce((a, r) => a + r.ok, 0);
    const blocked = results.reduce((a, r) => a + r.blocked, 0);
    expect(results.every((r) => r.failed === 0)).toBe(true);
    expect(ok + blocked).toBe(3 * 30 * 3);
    expect(ok).toBeGreaterThan(0);
    expect(blocked).toBeGreaterThan(0);
    // Blocked calls never reached the provider.
    expect(fast.requests).toHaveLength(ok);

    // Every call's cost was added once, in exact nano-USD, and the fleet stayed within the limit: each call's
    // reservation covers its cost here (the estimate error is ≤ 0 against the mock), so the documented bound
    // limit + N × (cost − reservation) is the limit itself.
    const okNanos = results.reduce((a, r) => a + r.okNanos, 0);
    const spent = await one<{ s: string }>(
      `SELECT spent_nanos::text AS s FROM costtrail_limit_windows WHERE limit_id = '${LIMIT}'`,
    );
    expect(Number(spent.s)).toBe(okNanos);
    expect(okNanos).toBeLessThanOrEqual(MAX_USD * 1e9);

    // The survivors released or settled everything at shutdown; the killed one's reservations lapse by TTL.
    await eventually(async () => {
      const live = await one<{ n: string }>(
        `SELECT count(*) AS n FROM costtrail_limit_reservations WHERE limit_id = '${LIMIT}' AND expires_ms > costtrail_now_ms()`,
      );
      return Number(live.n) === 0;
    }, 30_000);
    const unsettled = await one<{ n: string }>(
      `SELECT count(*) AS n FROM costtrail_limit_reservations WHERE limit_id = '${LIMIT}' AND settled_ms IS NULL`,
    );
    // Only the killed process's 10 were never settled nor released.
    expect(Number(unsettled.n)).toBe(10);
  }, 180_000);
});
