// Issue 22 item 10: a user logger that throws never loses an event, nor its price; the pricer guards its
// warnings as the rest of costtrail does.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { Pricer } from "../../src/pricing/index.js";
import type { Logger } from "../../src/types.js";
import { createHarness, type Harness } from "../support/harness.js";
import { usage } from "./helpers.js";

const throwing: Logger = {
  warn: () => {
    throw new Error("logger down");
  },
  error: () => {
    throw new Error("logger down");
  },
};

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ usage: () => ({ inputTokens: 1000, outputTokens: 100 }) });
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

it("Pricer: a throwing logger gets its warnings, and the price is still returned", () => {
  const pricer = new Pricer({ logger: throwing });
  const unknown = pricer.price({
    provider: "openai",
    requestModel: "no-such-model",
    usage: usage({ inputTokens: 10 }),
    ts: new Date(),
  });
  expect(unknown).toEqual({ costNanos: null, costMicros: null, costSource: "unpriced" });
  // A tier with no rate warns too (scale: none in the table) and still prices at the standard rate.
  const scale = pricer.price({
    provider: "openai",
    requestModel: "gpt-4o-mini",
    usage: { ...usage({ inputTokens: 1000 }), serviceTier: "scale" },
    ts: new Date(),
  });
  expect(scale.costNanos).toBe(150_000);
});

it("instrument({ logger }) that throws: unpriced and priced calls are all delivered and stored", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "costtrail-logger-")), "ledger.db");
  await h.start({ ledger: path, logger: throwing }).ready;
  const openai = h.openai();
  await openai.chat.completions.create({
    model: "my-unknown-model",
    messages: [{ role: "user", content: "a" }],
  });
  await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "b" }] });
  const events = [...(await h.eventsSettled(2))];
  await h.stop();
  expect(events.map((e) => e.costSource)).toEqual(["unpriced", "computed"]);
  // gpt-4o-mini: $0.15 input, $0.60 output.
  expect(events[1]!.costNanos).toBe(150_000 + 60_000);
  const db = new Database(path, { readonly: true });
  const rows = db.prepare("SELECT request_model, cost_nanos FROM events ORDER BY ts_ms, rowid").all();
  db.close();
  expect(rows).toEqual([
    { request_model: "my-unknown-model", cost_nanos: null },
    { request_model: "gpt-4o-mini", cost_nanos: 210_000 },
  ]);
});
