// Issue 22 item 10: nothing a user callback throws loses an event — not for the other sinks, not for the
// ledger, not for later calls — and a logger that throws too (when costtrail reports the failures) changes
// nothing. (Outside test/providers: the compat matrix may run those on a Node this better-sqlite3 was not built for.)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const messages = [{ role: "user" as const, content: "Tell me a long story about ledgers and budgets." }];

it("a throwing onEvent, sink, captureContext and logger lose no event: the ledger and the other sink get each", async () => {
  const ledger = join(mkdtempSync(join(tmpdir(), "costtrail-callbacks-")), "ledger.db");
  const kept: string[] = [];
  const boom = () => {
    throw new Error("user callback bug");
  };
  const handle = h.start({
    ledger,
    onEvent: boom,
    sinks: [
      { name: "broken", write: boom, captureContext: boom },
      { name: "rejecting", write: () => Promise.reject(new Error("sink down")) },
      { name: "kept", write: (batch) => void kept.push(...batch.map((r) => r.event.id)) },
    ],
    logger: { warn: boom, error: boom },
  });
  await handle.ready;
  const client = h.openai();
  await client.chat.completions.create({ model: "gpt-4o", messages });
  const stream = await client.chat.completions.create({ model: "gpt-4o", messages, stream: true });
  for await (const _ of stream) {
    // drain
  }
  await client.embeddings.create({ model: "text-embedding-3-small", input: "abc" });
  const events = await h.eventsSettled(3);
  expect(events.map((e) => [e.operation, e.status])).toEqual([
    ["chat", "ok"],
    ["chat", "ok"],
    ["embeddings", "ok"],
  ]);
  expect(kept).toEqual(events.map((e) => e.id));
  await handle.flush();
  const db = new Database(ledger, { readonly: true });
  const stored = db.prepare("SELECT id FROM events ORDER BY ts_ms, rowid").all() as { id: string }[];
  db.close();
  expect(stored.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
});
