import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import { recentEvents } from "../../src/ledger/queries.js";
import type { UsageEvent } from "../../src/types.js";
import { waitFor } from "../support/child.js";
import { makeEvent } from "./fixtures/events.js";
import { recordingLogger, records, tempDir } from "./helpers.js";

const dir = tempDir();
let n = 0;
const freshPath = () => join(dir, `sink-${n++}`, "ledger.db");

function countRows(path: string, sql = "SELECT count(*) FROM events"): number {
  const db = openLedgerReadonly(path);
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe("LedgerSink", () => {
  it("only enqueues on write, and makes events durable on flush", async () => {
    const path = freshPath(); // the directory does not exist yet: the sink creates it
    const logger = recordingLogger();
    const sink = openLedger(path, { logger, installExitHooks: false, drainDelayMs: 60_000 });
    expect(sink.name).toBe("ledger");
    const result = sink.write(records([makeEvent("e1"), makeEvent("e2")]));
    expect(result).toBeUndefined();
    expect(sink.stats()).toEqual({ written: 0, buffered: 2, spooled: 0, dropped: 0 });
    expect(countRows(path)).toBe(0);

    await sink.flush();
    expect(sink.stats()).toEqual({ written: 2, buffered: 0, spooled: 0, dropped: 0 });
    expect(countRows(path)).toBe(2);
    await sink.shutdown();
    expect(logger.warnings).toEqual([]);
  });

  it("drains in the background without flush", async () => {
    const path = freshPath();
    const sink = openLedger(path, { logger: recordingLogger(), installExitHooks: false, drainDelayMs: 5 });
    sink.write(records([makeEvent("bg1")]));
    // Generous: the writer thread's start (tsx compiles it) takes seconds on a loaded machine.
    await waitFor(() => sink.stats().written > 0, 30_000);
    expect(sink.stats().written).toBe(1);
    expect(countRows(path)).toBe(1);
    await sink.shutdown();
  });

  it("drains a backlog bigger than one batch over several turns", async () => {
    const path = freshPath();
    const sink = openLedger(path, { logger: recordingLogger(), installExitHooks: false, batchSize: 100 });
    sink.write(records(Array.from({ length: 1_050 }, (_, i) => makeEvent(`big-${i}`))));
    await waitFor(() => sink.stats().buffered === 0, 30_000);
    expect(sink.stats()).toMatchObject({ written: 1_050, buffered: 0 });
    await sink.shutdown();
    expect(countRows(path)).toBe(1_050);
  });

  it("stores each event once, however often it is written", async () => {
    const path = freshPath();
    const sink = openLedger(path, { logger: recordingLogger(), installExitHooks: false });
    const tagged = makeEvent("dup-1", {
      annotations: { userId: "u", limitIds: ["daily"], requestTags: ["a", "b"] },
    });
    sink.write(records([tagged, tagged, makeEvent("dup-2")]));
    await sink.flush();
    sink.write(records([tagged, makeEvent("dup-2")]));
    await sink.flush();
    await sink.shutdown();
    expect(countRows(path)).toBe(2);
    expect(countRows(path, "SELECT count(*) FROM event_labels WHERE event_id = 'dup-1'")).toBe(3);
  });

  it("round-trips a UsageEvent exactly, snapshotting it at write time", async () => {
    const path = freshPath();
    const sink = openLedger(path, { logger: recordingLogger(), installExitHooks: false });
    const full = makeEvent("full", {
      ts: "2025-06-02T08:30:00.123Z",
      status: "error",
      httpStatus: 429,
      errorType: "RateLimitError",
      attempts: 3,
      stream: true,
      costMicros: 1,
      costNanos: 201,
      costBreakdown: { input: 200, webSearch: 1 },
      priceSource: "genai-prices@0.1.8+table:2026-12-01",
      costSource: "computed",
      usage: {
        inputTokens: 1_234,
        outputTokens: 56,
        cacheReadTokens: 1_000,
        cacheWriteTokens: 7,
        cacheWrite1hTokens: 5,
        reasoningTokens: 9,
        audioInputTokens: 3,
        serverToolCalls: { webSearch: 2, webFetch: 1 },
        serviceTier: "flex",
        batch: true,
        inferenceGeo: "global",
      },
      annotations: {
        useCaseName: "support",
        useCaseId: "0190-instance",
        useCaseVersion: 3,
        useCaseStep: "draft",
        userId: "u-1",
        accountName: "acme",
        limitIds: ["daily"],
        requestTags: ["beta"],
        requestProperties: { region: "eu" },
        useCaseProperties: { channel: "email" },
        priceAsResource: "gpt-4o",
        priceAsCategory: "openai",
        resourceScope: "team-a",
      },
      limitsExceeded: ["daily"],
    });
    const minimal: UsageEvent = {
      ...makeEvent("minimal", { ts: "2025-06-02T08:31:00.000Z" }),
      annotations: {},
    };
    delete minimal.ttftMs;
    delete minimal.responseModel;
    delete minimal.httpStatus;
    // An event priced elsewhere with whole micro-USD only reads back with its exact nano-USD figure.
    const expected = structuredClone([full, { ...minimal, costNanos: minimal.costMicros! * 1000 }]);
    sink.write(records([full, minimal]));
    full.annotations.userId = "mutated after write";
    await sink.shutdown();

    const db = openLedgerReadonly(path);
    expect(recentEvents(db, 10)).toEqual(expected);
    db.close();
  });

  it("works in memory and exposes the connection for same-process queries", async () => {
    const sink = openLedger(":memory:", { logger: recordingLogger() });
    sink.write(records([makeEvent("m1"), makeEvent("m2")]));
    await sink.flush();
    expect(sink.db?.prepare("SELECT count(*) FROM events").pluck().get()).toBe(2);
    await sink.shutdown();
    expect(sink.db).toBeNull();
  });

  it("drops and counts invalid events and writes after shutdown, warning once each", async () => {
    const path = freshPath();
    const logger = recordingLogger();
    const sink = openLedger(path, { logger, installExitHooks: false });
    const noId = { ...makeEvent("x"), id: "" };
    expect(() => sink.write(records([noId, noId, makeEvent("ok")]))).not.toThrow();
    await sink.shutdown();
    expect(() => sink.write(records([makeEvent("late-1"), makeEvent("late-2")]))).not.toThrow();
    await sink.shutdown(); // idempotent
    expect(sink.stats()).toMatchObject({ written: 1, buffered: 0, dropped: 4 });
    expect(logger.warnings.filter((w) => w.includes("invalid"))).toHaveLength(1);
    expect(logger.warnings.filter((w) => w.includes("shut down"))).toHaveLength(1);
    expect(countRows(path)).toBe(1);
  });

  it("keeps calls working when the file cannot be written: buffers, drops past the bound, warns", async () => {
    // Tests run as root, so permissions would not stop the write: make the parent a regular file instead.
    const blocker = join(dir, `blocker-${n++}`);
    writeFileSync(blocker, "not a directory");
    const path = join(blocker, "ledger.db");
    const logger = recordingLogger();

    const sink = openLedger(path, { logger, maxBuffered: 10, installExitHooks: false });
    expect(() =>
      sink.write(records(Array.from({ length: 25 }, (_, i) => makeEvent(`u-${i}`)))),
    ).not.toThrow();
    await expect(sink.flush()).resolves.toBeUndefined();
    await sink.flush();
    const stats = sink.stats();
    expect(stats).toMatchObject({ written: 0, buffered: 10, dropped: 15 });
    expect(stats.lastError).toMatch(/cannot create directory .*a file is in the way/);
    expect(logger.warnings.filter((w) => w.includes("cannot write ledger"))).toHaveLength(1);
    expect(logger.warnings.filter((w) => w.includes("buffer is full"))).toHaveLength(1);

    await expect(sink.shutdown()).resolves.toBeUndefined();
    // The 10 still buffered are lost at shutdown: counted, and the total is reported once.
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 0, dropped: 25 });
    const final = logger.warnings.filter((w) => w.includes("were not recorded"));
    expect(final).toHaveLength(1);
    expect(final[0]).toContain("25 usage events");
    expect(logger.warnings).toHaveLength(3);
    expect(logger.errors).toEqual([]);
  });

  it("writes the buffer once the file becomes writable again", async () => {
    const base = join(dir, `recover-${n++}`);
    writeFileSync(base, "in the way");
    const path = join(base, "ledger.db");
    const logger = recordingLogger();
    const sink = openLedger(path, { logger, maxBuffered: 5, installExitHooks: false });
    sink.write(records(Array.from({ length: 7 }, (_, i) => makeEvent(`r-${i}`))));
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 0, buffered: 5, dropped: 2 });

    rmSync(base);
    mkdirSync(base);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 5, buffered: 0, dropped: 2 });
    expect(logger.warnings.some((w) => w.includes("writable again") && w.includes("2 events"))).toBe(true);
    await sink.shutdown();
    expect(countRows(path)).toBe(5);
    // The drops were already reported on recovery: shutdown does not repeat them.
    expect(logger.warnings.filter((w) => w.includes("were not recorded"))).toHaveLength(0);
  });

  it("installs one set of process listeners for all sinks and removes it with the last", async () => {
    const counts = () => ["SIGINT", "SIGTERM", "exit", "beforeExit"].map((e) => process.listenerCount(e));
    const before = counts();
    const a = openLedger(freshPath(), { logger: recordingLogger() });
    const b = openLedger(freshPath(), { logger: recordingLogger() });
    expect(counts()).toEqual(before.map((c) => c + 1));
    await a.shutdown();
    expect(counts()).toEqual(before.map((c) => c + 1));
    await b.shutdown();
    expect(counts()).toEqual(before);
  });
});
