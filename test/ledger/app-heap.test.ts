// Issue 19 (the app's event loop and the ledger): what the file ledger does on the app's thread must leave
// nothing of the events behind for the young-generation collector to copy. Events the ledger kept reachable after
// `write()` (as objects, or through node:v8 `serialize()`, whose Serializer keeps everything it serialized alive
// until that Serializer is collected, which a scavenge never does) were copied by each scavenge and promoted: the
// long app-thread pauses of docs/benchmarks.md "Event-loop delay while ingesting". Measured here as old-space
// growth across forced scavenges only (no timing).

import { join } from "node:path";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import { waitFor } from "../support/child.js";
import { makeEvent } from "./fixtures/events.js";
import { recordingLogger, records, tempDir } from "./helpers.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;

const dir = tempDir("costtrail-app-heap-");
const oldSpaceUsed = () =>
  getHeapSpaceStatistics().find((s) => s.space_name === "old_space")!.space_used_size;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Fresh events with their own strings (an app makes each event as it goes). */
function freshEvents(from: number, n: number) {
  return Array.from({ length: n }, (_, i) => {
    const k = from + i;
    return makeEvent(`heap-${k}-${Math.random().toString(36).slice(2)}`, {
      annotations: { useCaseName: `case-${k % 7}`, useCaseId: `instance-${k}`, userId: `user-${k}` },
    });
  });
}

describe("the file ledger on the app's thread", () => {
  it("keeps nothing of the events it was given past a scavenge, and still stores every one", async () => {
    const path = join(dir, "heap.db");
    const sink = openLedger(path, { logger: recordingLogger(), installExitHooks: false });
    await sink.flush();
    const batches = 300;
    const perBatch = 128;
    gc();
    gc();
    const before = oldSpaceUsed();
    for (let b = 0; b < batches; b++) {
      sink.write(records(freshEvents(b * perBatch, perBatch)));
      await tick(); // the sink hands its full batches over after the caller's turn
    }
    // Twice: an object live at the first is copied within the young generation, at the second promoted.
    gc({ type: "minor" });
    gc({ type: "minor" });
    const grown = oldSpaceUsed() - before;
    // 7,680 events, ~1 kB each as the sink's objects: kept reachable, they would add several MB here.
    expect(grown).toBeLessThan(1.5 * 1024 * 1024);

    await waitFor(() => sink.stats().buffered === 0);
    await sink.shutdown();
    expect(sink.stats()).toMatchObject({ written: batches * perBatch, dropped: 0 });
    const db = openLedgerReadonly(path);
    try {
      expect(db.prepare("SELECT count(*) AS n FROM events").get()).toEqual({ n: batches * perBatch });
    } finally {
      db.close();
    }
  });
});
