// Several real processes, one ledger file, one block limit, the real mock provider over HTTP.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitStatuses } from "../../src/limits/index.js";
import { type MockProvider, startMockProvider } from "../../src/testing.js";
import { startTsxChild, type TsxChild, waitFor } from "../support/child.js";
import { cli, tempDir } from "./helpers.js";

const WORKER = fileURLToPath(new URL("./fixtures/worker.ts", import.meta.url));
const dir = tempDir("costtrail-limits-proc-");
let n = 0;
const freshLedger = () => join(dir, `proc-${n++}.db`);

let fast: MockProvider;
let slow: MockProvider;
beforeAll(async () => {
  fast = await startMockProvider({ latencyMs: 15 });
  // Never answers within a test: its calls are in flight when their process is killed.
  slow = await startMockProvider({ latencyMs: 120_000 });
});
afterAll(async () => {
  await Promise.all([fast.close(), slow.close()]);
});

function startWorker(args: string[], mock: MockProvider, ttlMs?: number): TsxChild {
  const env: NodeJS.ProcessEnv = { ...process.env, MOCK_URL: mock.url };
  if (ttlMs !== undefined) env["COSTTRAIL_LIMITS_RESERVATION_TTL_MS"] = String(ttlMs);
  return startTsxChild(WORKER, args, env);
}

/** Eight workers on two cores take a while. */
const waitLong = (check: () => boolean) => waitFor(check, 90_000);

function inspect(path: string, now = Date.now()) {
  const db = new Database(path, { readonly: true });
  try {
    const [status] = limitStatuses(db, now);
    const liveRows = db
      .prepare("SELECT count(*) FROM limit_reservations WHERE expires_ms > ?")
      .pluck()
      .get(now) as number;
    const okEventMicros = db
      .prepare("SELECT coalesce(sum(cost_micros), 0) FROM events WHERE status = 'ok'")
      .pluck()
      .get() as number;
    const blockedEvents = db
      .prepare("SELECT count(*) FROM events WHERE status = 'blocked'")
      .pluck()
      .get() as number;
    return { status: status!, liveRows, okEventMicros, blockedEvents };
  } finally {
    db.close();
  }
}

const result = (w: TsxChild) =>
  JSON.parse(w.stdout().trim().split("\n").at(-1)!) as {
    ok: number;
    blocked: number;
    failed: number;
    okMicros: number;
  };

describe("8 processes × 50 concurrent calls, one ledger, one block limit", () => {
  it("never overspend, block before sending, and a killed worker's reservations expire", async () => {
    const ledger = freshLedger();
    const MAX_USD = 0.2;
    const LANES = 50;
    const CALLS = 3;
    const TTL_MS = 2_000;
    // Stored with the CLI: the workers have no limits in their config, they find it in the ledger.
    const set = await cli(
      "limits",
      "set",
      "shared",
      "--max-usd",
      String(MAX_USD),
      "--window",
      "day",
      "--mode",
      "block",
      "--db",
      ledger,
    );
    expect(set.code).toBe(0);

    // Worker 0 talks to a provider that never answers: it is killed with its 50 calls in flight, while the
    // 7 others are busy.
    const doomed = startWorker([ledger, String(LANES), "1", "shared", "doomed"], slow, TTL_MS);
    await waitLong(() => slow.requests.length >= LANES);
    const workers = Array.from({ length: 7 }, (_, i) =>
      startWorker([ledger, String(LANES), String(CALLS), "shared", `w${i + 1}`], fast, TTL_MS),
    );
    await waitLong(() => fast.requests.length >= 2 * LANES);
    const beforeKill = inspect(ledger);
    expect(beforeKill.status.reservedUsd).toBeGreaterThan(0);
    doomed.proc.kill("SIGKILL");
    expect((await doomed.exited).signal).toBe("SIGKILL");
    const killedAt = Date.now();

    const exits = await Promise.all(workers.map((w) => w.exited));
    const results = workers.map((w, i) => {
      expect(exits[i], w.stderr()).toEqual({ code: 0, signal: null });
      expect(w.stderr()).not.toMatch(/error|failed/i);
      return result(w);
    });
    const ok = results.reduce((a, r) => a + r.ok, 0);
    const blocked = results.reduce((a, r) => a + r.blocked, 0);
    const okMicros = results.reduce((a, r) => a + r.okMicros, 0);
    expect(results.every((r) => r.failed === 0)).toBe(true);
    expect(ok + blocked).toBe(7 * LANES * CALLS);
    expect(ok).toBeGreaterThan(0);
    expect(blocked).toBeGreaterThan(0);
    // Blocked calls never reached the provider.
    expect(fast.requests).toHaveLength(ok);

    const maxMicros = MAX_USD * 1e6;
    // Worst case of one call here: estimated input (< 40 tokens) + max_tokens 60, at 10 µ$ per token.
    const oneReservation = 10 * (40 + 60);
    const after = inspect(ledger);
    const spentMicros = Math.round(after.status.spentUsd * 1e6);
    expect(spentMicros).toBe(okMicros);
    expect(spentMicros).toBe(after.okEventMicros);
    expect(spentMicros).toBeLessThanOrEqual(maxMicros + oneReservation);
    expect(after.blockedEvents).toBe(blocked);

    // The killed worker's leases lapse after the TTL; nothing else is left in flight.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + TTL_MS + 200 - Date.now())));
    const settled = inspect(ledger);
    expect(settled.status.reservedUsd).toBe(0);
    expect(settled.liveRows).toBe(0);
    const listed = JSON.parse((await cli("limits", "list", "--db", ledger, "--format", "json")).out);
    expect(listed[0]).toMatchObject({ id: "shared", reservedUsd: 0, source: "cli" });
    expect(listed[0].spentUsd).toBeLessThanOrEqual(MAX_USD);
    console.log(
      `8×50: ${ok} sent, ${blocked} blocked, spent $${(spentMicros / 1e6).toFixed(6)} of $${MAX_USD}` +
        ` (${((100 * spentMicros) / maxMicros).toFixed(1)} %), ${beforeKill.liveRows} reservations live at the kill`,
    );
  }, 180_000);
});

describe("reservation leases across processes", () => {
  it("a live process keeps renewing a long call's reservation past the TTL", async () => {
    const ledger = freshLedger();
    await cli(
      "limits",
      "set",
      "long",
      "--max-usd",
      "1",
      "--window",
      "day",
      "--mode",
      "block",
      "--db",
      ledger,
    );
    const mock = await startMockProvider({ latencyMs: 2_500 });
    try {
      const w = startWorker([ledger, "1", "1", "long", "long"], mock, 600);
      await waitLong(() => mock.requests.length === 1);
      await new Promise((r) => setTimeout(r, 1_500)); // > 2 × TTL
      expect(inspect(ledger).status.reservedUsd).toBeGreaterThan(0);
      expect(await w.exited).toEqual({ code: 0, signal: null });
      const done = inspect(ledger);
      expect(done.status.reservedUsd).toBe(0);
      expect(Math.round(done.status.spentUsd * 1e6)).toBe(result(w).okMicros);
    } finally {
      await mock.close();
    }
  }, 90_000);

  // SIGTERM, SIGINT, and an app that calls process.exit() itself (here on SIGUSR2).
  for (const end of ["SIGTERM", "SIGINT", "process.exit()"] as const) {
    it(`${end} releases the process's reservations at once and records its calls in flight as aborted, with their estimate`, async () => {
      const ledger = freshLedger();
      await cli("limits", "set", "t", "--max-usd", "1", "--window", "day", "--mode", "block", "--db", ledger);
      const before = slow.requests.length;
      const w =
        end === "process.exit()"
          ? startTsxChild(WORKER, [ledger, "5", "1", "t", "exit"], {
              ...process.env,
              MOCK_URL: slow.url,
              EXIT_ON_SIGUSR2: "1",
            })
          : startWorker([ledger, "5", "1", "t", "term"], slow); // default TTL: 60 s
      await waitLong(() => slow.requests.length >= before + 5);
      expect(inspect(ledger).status.reservedUsd).toBeGreaterThan(0);
      if (end === "process.exit()") {
        w.proc.kill("SIGUSR2");
        expect(await w.exited).toEqual({ code: 0, signal: null });
      } else {
        w.proc.kill(end);
        expect((await w.exited).signal).toBe(end);
      }
      // The calls in flight were recorded as aborted with their estimate (issue 22 item 11), and the limit counts
      // exactly what the ledger holds for them.
      const after = inspect(ledger);
      expect(after).toMatchObject({ liveRows: 0, status: { reservedUsd: 0 } });
      const db = new Database(ledger, { readonly: true });
      try {
        const rows = db.prepare("SELECT status, error_type, input_tokens, cost_micros FROM events").all() as {
          status: string;
          error_type: string;
          input_tokens: number;
          cost_micros: number;
        }[];
        expect(rows).toHaveLength(5);
        for (const row of rows) {
          expect(row).toMatchObject({ status: "aborted", error_type: "ProcessExit" });
          expect(row.input_tokens).toBeGreaterThan(0);
          expect(row.cost_micros).toBeGreaterThan(0);
        }
        const total = rows.reduce((sum, r) => sum + r.cost_micros, 0);
        expect(Math.round(after.status.spentUsd * 1e6)).toBe(total);
      } finally {
        db.close();
      }
    }, 90_000);
  }
});
