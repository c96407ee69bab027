// Issue 19 (the app's event loop and the ledger): what the ledger does with events must leave nothing of them
// reachable for the young-generation collector to copy. Objects the ledger kept reachable after `write()` (queued,
// or through node:v8 `serialize()` / `deserialize()`, whose Serializer / Deserializer keeps everything it made or
// read alive until that object is itself collected) were copied by the next scavenge, and promoted by the one
// after: the long app-thread pauses of docs/benchmarks.md "Event-loop delay while ingesting". Measured here as
// the bytes a forced scavenge keeps (young survivors plus promotions), no timing.

import { join } from "node:path";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { toPendingEvent } from "../../src/ledger/event-row.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import { decodeBatch, encodeBatch } from "../../src/ledger/spooled-record.js";
import { waitFor } from "../support/child.js";
import { makeEvent } from "./fixtures/events.js";
import { recordingLogger, records, tempDir } from "./helpers.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;

const dir = tempDir("costtrail-app-heap-");
const used = (space: string) => getHeapSpaceStatistics().find((s) => s.space_name === space)!.space_used_size;
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

/** What one scavenge after `work` keeps of what `work` allocated: the copied survivors and the promoted. */
async function keptByAScavenge(work: () => Promise<void> | void): Promise<number> {
  // Twice: whatever is live now is promoted, and the young generation starts empty.
  gc({ type: "minor" });
  gc({ type: "minor" });
  const young = used("new_space");
  const old = used("old_space");
  await work();
  gc({ type: "minor" });
  return used("new_space") - young + (used("old_space") - old);
}

const PER_BATCH = 128;
const BATCHES = 20; // 2,560 events: ~1 kB each as the ledger's objects, ~7 MB allocated to make and convert them

describe("the ledger's work on events keeps nothing of them past a scavenge", () => {
  it("the file ledger's write() and hand-over to the writer thread, which still stores every event", async () => {
    const path = join(dir, "heap.db");
    const sink = openLedger(path, { logger: recordingLogger(), installExitHooks: false });
    await sink.flush();
    let n = 0;
    const writeBatches = async (batches: number) => {
      for (let b = 0; b < batches; b++) {
        sink.write(records(freshEvents(n, PER_BATCH)));
        n += PER_BATCH;
        await tick(); // the sink hands its full batches over after the caller's turn
      }
    };
    await writeBatches(50); // warm: code optimized, the young generation grown
    await waitFor(() => sink.stats().buffered === 0);
    const kept = await keptByAScavenge(() => writeBatches(BATCHES));
    // Kept reachable (as objects until handed over, then by serialize()), they were ~2 MB here; now ~0.1 MB.
    expect(kept).toBeLessThan(1024 * 1024);

    await waitFor(() => sink.stats().buffered === 0);
    await sink.shutdown();
    expect(sink.stats()).toMatchObject({ written: n, dropped: 0 });
    const db = openLedgerReadonly(path);
    try {
      expect(db.prepare("SELECT count(*) AS n FROM events").get()).toEqual({ n });
    } finally {
      db.close();
    }
  });

  it("decoding batches, as the writer thread does", async () => {
    const bytes = encodeBatch(freshEvents(0, PER_BATCH).map(toPendingEvent), []);
    let ids = 0;
    const decode = (batches: number) => {
      // Each decoded batch let go at once, as a written transaction's rows are.
      for (let b = 0; b < batches; b++) ids += decodeBatch(bytes).events.length;
    };
    decode(50);
    const kept = await keptByAScavenge(() => decode(BATCHES));
    expect(ids).toBe((50 + BATCHES) * PER_BATCH);
    expect(kept).toBeLessThan(1024 * 1024);
  });
});
