// Every measured defect of issue 17, end to end: the real SDK → the mock provider replying with the provider's
// real usage shape → costtrail → the SQLite ledger, checked against the nano-USD figure of the provider's price
// page (genai-prices' rates where it has them, ours in src/pricing/extra-rates.ts otherwise).
// $1 per MTok is 1,000 nano-USD per token; $10 per 1,000 calls is 10,000,000 nano-USD per call.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { ChatAnthropic } from "@langchain/anthropic";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { UsageEvent } from "../../src/index.js";
import { CostTrailCallbackHandler } from "../../src/providers/langchain/index.js";
import type { MockUsage, MockUsageRequest } from "../../src/testing.js";
import { createHarness, type Harness } from "../support/harness.js";

/** The usage each test makes the mock report (the real wire shape is built from it). */
let nextUsage: Partial<MockUsage> = {};
let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await createHarness({ usage: (_req: MockUsageRequest) => nextUsage });
  dir = mkdtempSync(join(tmpdir(), "costtrail-bill-lines-"));
});
afterEach(async () => {
  nextUsage = {};
  await h.stop();
});
afterAll(() => h.mock.close());

interface LedgerRow {
  cost_nanos: number | null;
  cost_micros: number | null;
  cost_breakdown: string | null;
  price_source: string | null;
}

let dbCount = 0;
/** Runs `calls` instrumented into a fresh ledger file; returns the events and the ledger's rows for them. */
async function billed(
  calls: () => Promise<unknown>,
  n = 1,
): Promise<{ events: UsageEvent[]; rows: LedgerRow[] }> {
  const path = join(dir, `ledger-${++dbCount}.db`);
  await h.start({ ledger: path }).ready;
  await calls();
  const events = [...(await h.eventsSettled(n))];
  await h.stop();
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT cost_nanos, cost_micros, cost_breakdown, price_source FROM events ORDER BY ts_ms, rowid",
      )
      .all() as LedgerRow[];
    return { events, rows };
  } finally {
    db.close();
  }
}

/** The one event and its ledger row agree, and the stored cost is the exact figure. */
function expectBilled(r: { events: UsageEvent[]; rows: LedgerRow[] }, nanos: number, breakdown: object) {
  expect(r.events).toHaveLength(1);
  expect(r.rows).toHaveLength(1);
  const [event] = r.events;
  const [row] = r.rows;
  expect(event!.costBreakdown).toEqual(breakdown);
  expect(event!.costNanos).toBe(nanos);
  expect(row!.cost_nanos).toBe(nanos);
  expect(JSON.parse(row!.cost_breakdown!)).toEqual(breakdown);
  expect(row!.cost_micros).toBe(Math.ceil(nanos / 1000));
  expect(row!.price_source).toBe(event!.priceSource);
  return event!;
}

describe("Anthropic 1-hour cache writes (2× input, not the 5-minute 1.25×)", () => {
  // claude-haiku-4-5: $1 input, $1.25 5m write, $2 1h write, $0.10 read, $5 output.
  const usage = { inputTokens: 10_000, cacheWriteTokens: 6000, cacheWrite1hTokens: 4000, outputTokens: 100 };
  const breakdown = { input: 4_000_000, cacheWrite5m: 2_500_000, cacheWrite1h: 8_000_000, output: 500_000 };

  it.each([false, true])("messages.create (stream: %s) reads cache_creation by TTL", async (stream) => {
    nextUsage = usage;
    const r = await billed(async () => {
      const res = await h.anthropic().messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 50,
        system: [
          { type: "text", text: "Policy. ".repeat(200), cache_control: { type: "ephemeral", ttl: "1h" } },
        ],
        messages: [{ role: "user", content: "hi" }],
        stream,
      });
      if (stream) for await (const _ of res as AsyncIterable<unknown>);
    });
    const event = expectBilled(r, 15_000_000, breakdown);
    expect(event.usage).toMatchObject({ cacheWriteTokens: 6000, cacheWrite1hTokens: 4000 });
  });

  it("the mock's own prompt cache: a 1h breakpoint is written as 1h and priced so", async () => {
    const r = await billed(() =>
      h.anthropic().messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 20,
        system: [
          { type: "text", text: "Rules. ".repeat(400), cache_control: { type: "ephemeral", ttl: "1h" } },
        ],
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    const u = r.events[0]?.usage;
    expect(u!.cacheWrite1hTokens).toBe(u!.cacheWriteTokens);
    expect(u!.cacheWriteTokens).toBeGreaterThan(0);
    const uncached = u!.inputTokens - u!.cacheWriteTokens;
    expectBilled(r, uncached * 1000 + u!.cacheWriteTokens * 2000 + u!.outputTokens * 5000, {
      input: uncached * 1000,
      cacheWrite1h: u!.cacheWriteTokens * 2000,
      output: u!.outputTokens * 5000,
    });
  });
});

describe("server tools", () => {
  it("Anthropic web search ($10 per 1,000 requests), web fetch (tokens only) and code execution (counted)", async () => {
    nextUsage = {
      inputTokens: 1000,
      outputTokens: 100,
      serverToolCalls: { webSearch: 3, webFetch: 2, codeExecution: 1 },
    };
    const r = await billed(() =>
      h.anthropic().messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 50,
        tools: [
          { type: "web_search_20250305", name: "web_search", max_uses: 5 },
          { type: "web_fetch_20250910", name: "web_fetch" },
          { type: "code_execution_20250825", name: "code_execution" },
        ] as never,
        messages: [{ role: "user", content: "search" }],
      }),
    );
    const event = expectBilled(r, 1_000_000 + 500_000 + 30_000_000, {
      input: 1_000_000,
      output: 500_000,
      webSearch: 30_000_000,
    });
    expect(event.usage.serverToolCalls).toEqual({ webSearch: 3, webFetch: 2, codeExecution: 1 });
  });

  it("Anthropic, streamed: server_tool_use in message_delta and code-execution blocks are counted", async () => {
    nextUsage = { inputTokens: 1000, outputTokens: 100, serverToolCalls: { webSearch: 1, codeExecution: 2 } };
    const r = await billed(async () => {
      const stream = h.anthropic().messages.stream({
        model: "claude-haiku-4-5",
        max_tokens: 50,
        tools: [{ type: "web_search_20250305", name: "web_search" }] as never,
        messages: [{ role: "user", content: "search" }],
      });
      await stream.finalMessage();
    });
    const event = expectBilled(r, 11_500_000, { input: 1_000_000, output: 500_000, webSearch: 10_000_000 });
    expect(event.usage.serverToolCalls).toEqual({ webSearch: 1, codeExecution: 2 });
  });

  it.each([false, true])(
    "OpenAI Responses web_search (10 USD per 1k) and file_search (2.50 USD per 1k) calls (stream: %s)",
    async (stream) => {
      // gpt-4.1: $2 input, $8 output.
      nextUsage = { inputTokens: 1000, outputTokens: 100, serverToolCalls: { webSearch: 2, fileSearch: 1 } };
      const r = await billed(async () => {
        const res = await h.openai().responses.create({
          model: "gpt-4.1",
          input: "find it",
          tools: [{ type: "web_search" }, { type: "file_search", vector_store_ids: ["vs_1"] }],
          stream,
        });
        if (stream) for await (const _ of res as AsyncIterable<unknown>);
      });
      const event = expectBilled(r, 25_300_000, {
        input: 2_000_000,
        output: 800_000,
        webSearch: 20_000_000,
        fileSearch: 2_500_000,
      });
      expect(event.usage.serverToolCalls).toEqual({ webSearch: 2, fileSearch: 1 });
    },
  );
});

describe("OpenAI service_tier: priced by the tier the response reports", () => {
  // gpt-5 reasons: the mock would add reasoning tokens; none here, to keep the figures plain.
  const usage = { inputTokens: 1000, cacheReadTokens: 200, outputTokens: 100, reasoningTokens: 0 };

  it.each([false, true])(
    "flex asked and served: half the standard rate (gpt-5; stream: %s)",
    async (stream) => {
      nextUsage = usage;
      const r = await billed(async () => {
        const res = await h.openai().chat.completions.create({
          model: "gpt-5",
          service_tier: "flex",
          messages: [{ role: "user", content: "hi" }],
          ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        });
        if (stream) for await (const _ of res as AsyncIterable<unknown>);
      });
      // gpt-5 flex: $0.625 input, $0.0625 cached, $5 output.
      const event = expectBilled(r, 1_012_500, { input: 500_000, cacheRead: 12_500, output: 500_000 });
      expect(event.usage.serviceTier).toBe("flex");
      expect(event.priceSource).toMatch(/^genai-prices@[\d.]+\+table:\d{4}-\d{2}-\d{2}$/);
    },
  );

  it("auto asked, priority served: the priority rates (gpt-4o: $4.25 / $2.125 cached / $17)", async () => {
    nextUsage = { ...usage, serviceTier: "priority" };
    const r = await billed(() =>
      h.openai().chat.completions.create({
        model: "gpt-4o",
        service_tier: "auto",
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    expectBilled(r, 5_525_000, { input: 3_400_000, cacheRead: 425_000, output: 1_700_000 });
  });

  it("flex asked, default served: the standard rate (gpt-5: $1.25 / $0.125 cached / $10)", async () => {
    nextUsage = { ...usage, serviceTier: "default" };
    const r = await billed(() =>
      h.openai().responses.create({ model: "gpt-5", service_tier: "flex", input: "hi" }),
    );
    const event = expectBilled(r, 2_025_000, { input: 1_000_000, cacheRead: 25_000, output: 1_000_000 });
    expect(event.usage.serviceTier).toBeUndefined();
  });
});

describe("audio tokens at audio rates", () => {
  it("gpt-4o-audio-preview: $2.50 / $10 text, $40 / $80 audio", async () => {
    nextUsage = { inputTokens: 1000, audioInputTokens: 600, outputTokens: 200, audioOutputTokens: 150 };
    const r = await billed(() =>
      h.openai().chat.completions.create({
        model: "gpt-4o-audio-preview",
        modalities: ["text", "audio"],
        audio: { voice: "alloy", format: "wav" },
        messages: [{ role: "user", content: "say hi" }],
      }),
    );
    const event = expectBilled(r, 37_500_000, {
      input: 1_000_000,
      audioInput: 24_000_000,
      output: 500_000,
      audioOutput: 12_000_000,
    });
    expect(event.usage).toMatchObject({ audioInputTokens: 600, audioOutputTokens: 150 });
  });
});

describe("OpenAI cache writes", () => {
  it.each(["chat", "responses"])(
    "%s: prompt cache_write_tokens billed at the write rate (gpt-6-luna: $0.125)",
    async (api) => {
      // gpt-6-luna: $0.10 input, $0.125 cache write, $0.01 cache read, $0.50 output.
      nextUsage = { inputTokens: 10_000, cacheWriteTokens: 4000, cacheReadTokens: 2000, outputTokens: 500 };
      const r = await billed(() =>
        api === "chat"
          ? h
              .openai()
              .chat.completions.create({ model: "gpt-6-luna", messages: [{ role: "user", content: "hi" }] })
          : h.openai().responses.create({ model: "gpt-6-luna", input: "hi" }),
      );
      const event = expectBilled(r, 1_170_000, {
        input: 400_000,
        cacheWrite5m: 500_000,
        cacheRead: 20_000,
        output: 250_000,
      });
      expect(event.usage.cacheWriteTokens).toBe(4000);
    },
  );
});

describe("Bedrock through a global. inference profile", () => {
  it("InvokeModel is priced at the global rate of the profile in the URL, not the body's regional model", async () => {
    nextUsage = { inputTokens: 1000, outputTokens: 100 };
    const client = new BedrockRuntimeClient({
      endpoint: h.mock.bedrockEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
      maxAttempts: 1,
    });
    try {
      const r = await billed(() =>
        client.send(
          new InvokeModelCommand({
            modelId: "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            contentType: "application/json",
            body: JSON.stringify({
              anthropic_version: "bedrock-2023-05-31",
              max_tokens: 20,
              messages: [{ role: "user", content: "hi" }],
            }),
          }),
        ),
      );
      // Global: $3 / $15 (the regional rate is 10% more: $3.30 / $16.50, 4,950,000 nano-USD here).
      expectBilled(r, 4_500_000, { input: 3_000_000, output: 1_500_000 });
    } finally {
      client.destroy();
    }
  });
});

describe("no call's cost vanishes to rounding", () => {
  it("a 10-token text-embedding-3-small call costs 200 nano-USD, stored as 200 (and 1 µ$, rounded up)", async () => {
    const r = await billed(() =>
      h.openai().embeddings.create({ model: "text-embedding-3-small", input: "x" }),
    );
    const u = r.events[0]!.usage;
    // The mock's count for "x": 1 token + overhead; priced exactly, whatever it is.
    expectBilled(r, u.inputTokens * 20, { input: u.inputTokens * 20 });
    nextUsage = { inputTokens: 10 };
    const ten = await billed(() =>
      h.openai().embeddings.create({ model: "text-embedding-3-small", input: "x" }),
    );
    expectBilled(ten, 200, { input: 200 });
  });
});

describe("the LangChain path (a chat model whose SDK copy costtrail may not patch)", () => {
  it("ChatAnthropic: 1h cache writes, web search and the served tier reach the event", async () => {
    nextUsage = {
      inputTokens: 10_000,
      cacheWriteTokens: 6000,
      cacheWrite1hTokens: 4000,
      outputTokens: 100,
      serverToolCalls: { webSearch: 1 },
    };
    const model = new ChatAnthropic({
      model: "claude-haiku-4-5",
      apiKey: "test",
      maxRetries: 0,
      anthropicApiUrl: h.mock.anthropicBaseURL,
    });
    const r = await billed(() =>
      model.invoke([{ role: "user", content: "hi" }], { callbacks: [new CostTrailCallbackHandler()] }),
    );
    const event = expectBilled(r, 25_000_000, {
      input: 4_000_000,
      cacheWrite5m: 2_500_000,
      cacheWrite1h: 8_000_000,
      output: 500_000,
      webSearch: 10_000_000,
    });
    expect(event.usage).toMatchObject({ cacheWrite1hTokens: 4000, serverToolCalls: { webSearch: 1 } });
  });
});
