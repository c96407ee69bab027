// Issue 22 item 4 and issue 19's ledger goals: another process holds the ledger's write lock while the app makes
// calls under a block limit, and the ledger overflows. Real SQLite files, a real second process, the real SDK
// against the mock provider. No timed assertions: the event-loop delay is a benchmark (bench/ledger-lock.ts).

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LimitExceededError } from "../../src/index.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { spoolDirFor } from "../../src/ledger/spool.js";
import { startTsxChild, type TsxChild, waitFor } from "../support/child.js";
import { createHarness, type Harness } from "../support/harness.js";
import { makeEvent } from "./fixtures/events.js";
import { recordingLogger, records, tempDir } from "./helpers.js";

const HOLDER = fileURLToPath(new URL("./fixtures/lock-holder.ts", import.meta.url));
const dir = tempDir("costtrail-locked-");
let n = 0;
const freshPath = () => join(dir, `locked-${n++}.db`);
const MODEL = "gpt-4o-mini";
const PRICES = [{ model: MODEL, inputPerMTok: 10, outputPerMTok: 10 }];

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

async function holdLock(path: string, ms: number): Promise<TsxChild> {
  const child = startTsxChild(HOLDER, [path, String(ms)]);
  await waitFor(() => child.stdout().includes("locked"));
  return child;
}

function query<T>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const ask = (i: number) =>
  h.openai().chat.completions.create({
    model: MODEL,
    messages: [{ role: "user", content: `question ${i}` }],
    max_tokens: 50,
  });

describe("a ledger another process holds locked", () => {
  it('calls under a block limit go on (limitsWhenLedgerDown "allow"); all are recorded once, and counted, after', async () => {
    const path = freshPath();
    const costtrail = h.start({
      ledger: path,
      globalInstrumentation: true,
      defaults: { limitIds: ["cap"] },
      limits: [{ id: "cap", maxUsd: 100, window: "day", mode: "block" }],
      prices: PRICES,
      logger: recordingLogger(),
    });
    const holder = await holdLock(path, 4_000);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(i)));
    expect(answers).toHaveLength(20);
    expect(holder.stdout()).not.toContain("released"); // the calls did not wait for the lock to go
    await holder.exited;
    await costtrail.flush();
    const rows = query<{ id: string; status: string; cost_micros: number }>(
      path,
      "SELECT id, status, cost_micros FROM events",
    );
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => r.id)).size).toBe(20);
    expect(rows.every((r) => r.status === "ok")).toBe(true);
    const total = rows.reduce((sum, r) => sum + r.cost_micros, 0);
    // The spend the limit could not record during the lock is added once the ledger is back, exactly once.
    const spent = () =>
      query<{ s: number }>(path, "SELECT coalesce(sum(spent_micros), 0) AS s FROM limit_spend")[0]!.s;
    await waitFor(() => spent() === total);
    expect(query(path, "SELECT * FROM limit_reservations")).toEqual([]);
    expect(spent()).toBe(total);
  });

  it('limitsWhenLedgerDown "block" refuses calls under a block limit while it cannot reach the ledger', async () => {
    const path = freshPath();
    const costtrail = h.start({
      ledger: path,
      globalInstrumentation: true,
      defaults: { limitIds: ["cap"] },
      limits: [{ id: "cap", maxUsd: 100, window: "day", mode: "block" }],
      limitsWhenLedgerDown: "block",
      prices: PRICES,
      logger: recordingLogger(),
    });
    const holder = await holdLock(path, 4_000);
    const before = h.mock.requests.length;
    const outcome = await ask(0).then(
      () => "sent",
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(LimitExceededError);
    expect(h.mock.requests.length).toBe(before);
    await holder.exited;
    await costtrail.flush();
    expect(query(path, "SELECT status FROM events")).toEqual([{ status: "blocked" }]);
  });
});

describe("ledger overload and spill", () => {
  const columns = "SELECT * FROM events ORDER BY id";

  it("past maxBuffered events are spilled to the spool, then replayed exactly, once each", async () => {
    const reference = freshPath();
    const spilled = freshPath();
    const events = Array.from({ length: 3_000 }, (_, i) =>
      makeEvent(`o-${i}`, { annotations: { userId: `u${i % 7}`, limitIds: ["l"], requestTags: ["t"] } }),
    );
    const normal = openLedger(reference, { logger: recordingLogger(), installExitHooks: false });
    normal.write(records(events));
    await normal.shutdown();

    const logger = recordingLogger();
    const sink = openLedger(spilled, { logger, maxBuffered: 100, installExitHooks: false });
    sink.write(records(events));
    sink.write(records(events.slice(0, 10))); // re-sent: still stored once
    expect(sink.stats().buffered).toBeLessThanOrEqual(100 + 1_000); // bounded: the rest is in the spool
    await sink.flush();
    expect(sink.stats()).toMatchObject({ buffered: 0, spooled: 0, dropped: 0 });
    await sink.shutdown();
    expect(query(spilled, columns)).toEqual(query(reference, columns));
    expect(query(spilled, "SELECT * FROM event_labels ORDER BY event_id, kind")).toEqual(
      query(reference, "SELECT * FROM event_labels ORDER BY event_id, kind"),
    );
    expect(readdirSync(spoolDirFor(spilled))).toEqual([]);
    expect(logger.warnings).toEqual([]);
  });

  it("a batch the locked file cannot take within spillAfterMs goes to the spool and is replayed after", async () => {
    const path = freshPath();
    const sink = openLedger(path, { logger: recordingLogger(), spillAfterMs: 100, installExitHooks: false });
    await sink.flush(); // the file exists before the other process locks it
    const holder = await holdLock(path, 3_000);
    sink.write(records(Array.from({ length: 500 }, (_, i) => makeEvent(`s-${i}`))));
    await waitFor(() => sink.stats().spooled === 500);
    expect(existsSync(spoolDirFor(path))).toBe(true);
    await holder.exited;
    await sink.flush();
    expect(sink.stats()).toMatchObject({ buffered: 0, spooled: 0, dropped: 0 });
    await sink.shutdown();
    expect(query<{ c: number }>(path, "SELECT count(*) AS c FROM events")[0]!.c).toBe(500);
  });
});
