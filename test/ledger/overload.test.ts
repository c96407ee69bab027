// Issue 19 (loopdelay): under overload the writer thread, not the app's thread, puts the excess in the spool
// (docs/ledger.md "The queue bound and the spool"). A real file, locked by a second connection so that the
// writer thread cannot write it; the spool on disk is what is checked. No timed assertions.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { spoolDirFor } from "../../src/ledger/spool.js";
import { waitFor } from "../support/child.js";
import { makeEvent } from "./fixtures/events.js";
import { recordingLogger, records, tempDir } from "./helpers.js";

const dir = tempDir("costtrail-overload-");

/** Segment files in the spool written by this thread (the app's), and by any other thread of this process. */
function segments(path: string): { app: string[]; others: string[] } {
  let names: string[] = [];
  try {
    names = readdirSync(spoolDirFor(path));
  } catch {
    // no spool yet
  }
  const app = names.filter((f) => f.startsWith(`seg-${process.pid}-${threadId}-`));
  const others = names.filter((f) => !app.includes(f));
  return { app, others };
}

describe("ledger overload with a live writer thread", () => {
  it("the writer thread spools the excess, the app's thread never does, memory stays bounded, and every event is stored once", async () => {
    const path = join(dir, "overload.db");
    const maxBuffered = 2_000;
    const logger = recordingLogger();
    // spillAfterMs far away: only the overload rule (held past maxBuffered / 2) can move events to the spool.
    const sink = openLedger(path, {
      logger,
      maxBuffered,
      batchSize: 100,
      spillAfterMs: 600_000,
      installExitHooks: false,
    });
    await sink.flush(); // the file exists before it is locked
    const lock = new Database(path);
    lock.exec("BEGIN IMMEDIATE");
    const total = 6_000;
    try {
      for (let i = 0; i < total; i += 100) {
        sink.write(records(Array.from({ length: 100 }, (_, j) => makeEvent(`ov-${i + j}`))));
        expect(sink.stats().buffered).toBeLessThanOrEqual(maxBuffered);
        // A producer that lets the loop turn: the writer thread's acknowledgements (of what it spooled) must bring
        // the app's count back down, or the app would reach its bound and spool on its own thread.
        await waitFor(() => sink.stats().buffered <= maxBuffered - 200);
        expect(sink.stats().dropped).toBe(0);
      }
      expect(sink.stats().spooled).toBeGreaterThan(0);
      const spool = segments(path);
      expect(spool.app).toEqual([]);
      expect(spool.others.length).toBeGreaterThan(0);
      expect(spool.others.every((f) => f.includes(".frames"))).toBe(true);
    } finally {
      lock.exec("COMMIT");
      lock.close();
    }
    // Replayed in the background, a transaction's worth (5,000) per turn of the thread: more than one slice here.
    await waitFor(() => sink.stats().spooled === 0 && sink.stats().buffered === 0, 60_000);
    expect(sink.stats()).toMatchObject({ written: total, dropped: 0 });
    await sink.flush();
    expect(sink.stats()).toMatchObject({ buffered: 0, spooled: 0, dropped: 0 });
    await sink.shutdown();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) FROM events").pluck().get()).toBe(total);
      expect(db.prepare("SELECT count(DISTINCT id) FROM events WHERE id LIKE 'ov-%'").pluck().get()).toBe(
        total,
      );
    } finally {
      db.close();
    }
    expect(readdirSync(spoolDirFor(path))).toEqual([]);
    expect(logger.warnings.filter((w) => w.includes("buffer is full"))).toEqual([]);
  });
});
