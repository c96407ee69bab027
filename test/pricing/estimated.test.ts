// Spend that leaves no usage (issue 17, item 4): calls that time out, are retried after an attempt timed out, or
// are aborted before usage arrived are recorded with an estimate flagged costSource "estimated" — never zero, and
// never mixed into measured cost. Real SDKs → the mock provider (latency and disconnect faults) → events and the
// SQLite ledger's report. gpt-4o: $2.50 per MTok input (2,500 nano-USD per token), $10 output (10,000 per token).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { trackContext } from "../../src/index.js";
import { report } from "../../src/ledger/queries.js";
import { openLedgerReader } from "../../src/ledger/reader.js";
import { limitStatuses } from "../../src/limits/index.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await createHarness();
  dir = mkdtempSync(join(tmpdir(), "costtrail-estimated-"));
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const messages = [
  { role: "user" as const, content: "Summarise the quarterly ledger for the finance team, please." },
];
const gpt4oInput = (tokens: number) => tokens * 2_500;

describe("estimated cost", () => {
  it("a call that times out is an estimate of the input it sent, flagged estimated", async () => {
    h.start();
    h.mock.enqueueFault({ latencyMs: 2_000 });
    await expect(
      h.openai({ timeout: 150 }).chat.completions.create({ model: "gpt-4o", messages }),
    ).rejects.toThrow(/timed out/i);
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "error", errorType: "APIConnectionTimeoutError", attempts: 1 });
    expect(event!.costSource).toBe("estimated");
    expect(event!.usage.inputTokens).toBeGreaterThan(5);
    expect(event!.usage.outputTokens).toBe(0);
    expect(event!.costNanos).toBe(gpt4oInput(event!.usage.inputTokens));
    expect(event!.estimatedNanos).toBeUndefined();
  });

  it("an Anthropic call that times out is estimated the same way (claude-haiku-4-5: $1 per MTok input)", async () => {
    h.start();
    h.mock.enqueueFault({ latencyMs: 2_000 });
    await expect(
      h.anthropic({ timeout: 150 }).messages.create({ model: "claude-haiku-4-5", max_tokens: 100, messages }),
    ).rejects.toThrow(/timed out/i);
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ provider: "anthropic", status: "error", costSource: "estimated" });
    expect(event!.usage.inputTokens).toBeGreaterThan(5);
    expect(event!.costNanos).toBe(event!.usage.inputTokens * 1_000);
  });

  it("a Bedrock call whose request times out is estimated too (its SDK reports only the final error)", async () => {
    h.start();
    h.mock.enqueueFault({ latencyMs: 2_000 });
    const client = new BedrockRuntimeClient({
      endpoint: h.mock.bedrockEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
      maxAttempts: 1,
      requestHandler: { requestTimeout: 150 },
    });
    try {
      await expect(
        client.send(
          new ConverseCommand({
            modelId: "anthropic.claude-3-5-haiku-20241022-v1:0",
            messages: [{ role: "user", content: [{ text: "Summarise the quarterly ledger, please." }] }],
          }),
        ),
      ).rejects.toThrow();
    } finally {
      client.destroy();
    }
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ provider: "bedrock", status: "error", costSource: "estimated" });
    // Claude 3.5 Haiku on Bedrock: $0.80 per MTok input.
    expect(event!.costNanos).toBe(event!.usage.inputTokens * 800);
    expect(event!.costNanos).toBeGreaterThan(0);
  });

  it("every timed-out attempt of a retried call counts: two attempts, twice the input", async () => {
    h.start();
    h.mock.enqueueFault({ latencyMs: 2_000, times: 2 });
    await expect(
      h.openai({ timeout: 150, maxRetries: 1 }).chat.completions.create({ model: "gpt-4o", messages }),
    ).rejects.toThrow(/timed out/i);
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "error", attempts: 2, costSource: "estimated" });
    const once = (await estimateOf()).usage.inputTokens;
    expect(event!.usage.inputTokens).toBe(2 * once);
    expect(event!.costNanos).toBe(gpt4oInput(2 * once));
  });

  it("a retry answered after a timed-out attempt: measured cost, and the lost attempt as estimatedNanos", async () => {
    h.start();
    h.mock.enqueueFault({ latencyMs: 2_000 });
    await h.openai({ timeout: 300, maxRetries: 1 }).chat.completions.create({ model: "gpt-4o", messages });
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "ok", attempts: 2, costSource: "computed" });
    const served = h.mock.requests.at(-1)!.usage!;
    expect(event!.usage.inputTokens).toBe(served.inputTokens);
    // The measured cost is the answered attempt's alone; the lost one is apart.
    expect(event!.costNanos).toBe(gpt4oInput(served.inputTokens) + served.outputTokens * 10_000);
    const once = (await estimateOf()).usage.inputTokens;
    expect(event!.estimatedNanos).toBe(gpt4oInput(once));
  });

  it("a limit counts the timed-out attempts of a retried call: settled with cost plus estimate", async () => {
    const path = join(dir, "limit.db");
    const cap = { id: "cap", maxUsd: 1, window: "day" as const, mode: "allow" as const };
    await h.start({ ledger: path, limits: [cap] }).ready;
    h.mock.enqueueFault({ latencyMs: 2_000 });
    await trackContext({ limitIds: ["cap"] }, () =>
      h.openai({ timeout: 300, maxRetries: 1 }).chat.completions.create({ model: "gpt-4o", messages }),
    );
    const [event] = [...(await h.eventsSettled(1))];
    await h.stop();
    expect(event!.estimatedNanos).toBeGreaterThan(0);
    const db = openLedgerReader(path);
    try {
      const [status] = limitStatuses(db);
      expect(Math.round(status!.spentUsd * 1e6)).toBe(
        Math.ceil((event!.costNanos! + event!.estimatedNanos!) / 1000),
      );
    } finally {
      db.close();
    }
  });

  it("a stream aborted before its usage arrived is estimated: input sent, output streamed", async () => {
    h.start();
    // Paced as a generation still under way, so the break cuts it before its usage chunk arrives.
    h.mock.enqueueFault({ chunkDelayMs: 15 });
    const stream = await h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true });
    let n = 0;
    for await (const _ of stream) if (++n === 3) break;
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "aborted", costSource: "estimated" });
    expect(event!.usage.outputTokens).toBeGreaterThanOrEqual(1);
    expect(event!.costNanos).toBe(gpt4oInput(event!.usage.inputTokens) + event!.usage.outputTokens * 10_000);
  });

  it("a call aborted by the user while in flight is estimated; one aborted before it was sent costs nothing", async () => {
    h.start();
    h.mock.enqueueFault({ latencyMs: 2_000 });
    const controller = new AbortController();
    const pending = h
      .openai()
      .chat.completions.create({ model: "gpt-4o", messages }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow();
    const before = new AbortController();
    before.abort();
    await expect(
      h.openai().chat.completions.create({ model: "gpt-4o", messages }, { signal: before.signal }),
    ).rejects.toThrow();
    const [inFlight, unsent] = await h.eventsSettled(2);
    expect(inFlight).toMatchObject({ status: "aborted", costSource: "estimated" });
    expect(inFlight!.costNanos).toBe(gpt4oInput(inFlight!.usage.inputTokens));
    expect(inFlight!.costNanos).toBeGreaterThan(0);
    // Never sent: nothing billed, nothing estimated.
    expect(unsent).toMatchObject({ status: "aborted", attempts: 0, costNanos: 0, costSource: "computed" });
  });

  it("a server error answered without usage is not estimated (the provider does not bill it)", async () => {
    h.start();
    h.mock.enqueueFault({ status: 500 });
    await expect(h.openai().chat.completions.create({ model: "gpt-4o", messages })).rejects.toThrow();
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "error", httpStatus: 500 });
    expect(event!.costSource).not.toBe("estimated");
    expect(event!.costNanos ?? 0).toBe(0);
  });

  it("the ledger's report keeps estimated cost in its own column, out of the measured cost", async () => {
    const path = join(dir, "report.db");
    await h.start({ ledger: path }).ready;
    await h.openai().chat.completions.create({ model: "gpt-4o", messages });
    h.mock.enqueueFault({ latencyMs: 2_000 });
    await expect(
      h.openai({ timeout: 150 }).chat.completions.create({ model: "gpt-4o", messages }),
    ).rejects.toThrow();
    h.mock.enqueueFault({ latencyMs: 2_000 });
    await h.openai({ timeout: 300, maxRetries: 1 }).chat.completions.create({ model: "gpt-4o", messages });
    const events = [...(await h.eventsSettled(3))];
    await h.stop();
    const measured = events.filter((e) => e.costSource === "computed");
    const estimated = events.filter((e) => e.costSource === "estimated");
    expect(measured).toHaveLength(2);
    expect(estimated).toHaveLength(1);
    const measuredNanos = measured.reduce((s, e) => s + e.costNanos!, 0);
    const estimatedNanos = estimated[0]!.costNanos! + (measured[1]!.estimatedNanos ?? 0);
    expect(measured[1]!.estimatedNanos).toBeGreaterThan(0);
    const db = openLedgerReader(path);
    try {
      const r = report(db, { by: "model" });
      expect(r.totals).toMatchObject({
        requests: 3,
        costNanos: String(measuredNanos),
        estimatedNanos: String(estimatedNanos),
      });
      expect(r.rows[0]).toMatchObject({ key: "gpt-4o", estimatedNanos: String(estimatedNanos) });
    } finally {
      db.close();
    }
  });
});

/** One attempt's estimate: the same request, timed out once with no retry. */
async function estimateOf() {
  const before = h.events.length;
  h.mock.enqueueFault({ latencyMs: 2_000 });
  await expect(
    h.openai({ timeout: 150 }).chat.completions.create({ model: "gpt-4o", messages }),
  ).rejects.toThrow();
  await h.eventsSettled(before + 1);
  return h.events[before]!;
}
