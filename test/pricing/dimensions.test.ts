// Every billable dimension, priced from the providers' price pages (figures in nano-USD: $1 per MTok is
// 1,000 nano-USD per token; $10 per 1,000 calls is 10,000,000 nano-USD per call).
import { describe, expect, it } from "vitest";
import { type PriceInput, Pricer } from "../../src/pricing/index.js";
import { spyLogger, usage } from "./helpers.js";

const TS = "2026-11-15T12:00:00.000Z";

function price(input: Omit<PriceInput, "ts"> & { ts?: string }) {
  const logger = spyLogger();
  const result = new Pricer({ logger }).price({ ts: TS, ...input });
  return { ...result, warnings: logger.warn.mock.calls.map((c) => String(c[0])) };
}

describe("Anthropic cache writes by TTL", () => {
  it("prices 1-hour writes at 2× input and 5-minute writes at 1.25× (claude-sonnet-4: $6 / $3.75)", () => {
    const r = price({
      provider: "anthropic",
      requestModel: "claude-sonnet-4-20250514",
      usage: usage({
        inputTokens: 3000,
        cacheWriteTokens: 2000,
        cacheWrite1hTokens: 1000,
        outputTokens: 100,
      }),
    });
    expect(r.costBreakdown).toEqual({
      input: 1000 * 3000,
      cacheWrite5m: 1000 * 3750,
      cacheWrite1h: 1000 * 6000,
      output: 100 * 15_000,
    });
    expect(r.costNanos).toBe(3_000_000 + 3_750_000 + 6_000_000 + 1_500_000);
    expect(r.priceSource).toMatch(/^genai-prices@\d+\.\d+\.\d+$/);
  });
});

describe("server tools", () => {
  it("bills Anthropic web search at $10 per 1,000 requests; web fetch has no fee of its own", () => {
    const r = price({
      provider: "anthropic",
      requestModel: "claude-sonnet-4-5",
      usage: usage({ inputTokens: 1000, outputTokens: 100, serverToolCalls: { webSearch: 2, webFetch: 3 } }),
    });
    expect(r.costBreakdown).toEqual({ input: 3_000_000, output: 1_500_000, webSearch: 20_000_000 });
    expect(r.costNanos).toBe(24_500_000);
  });

  it("bills OpenAI Responses web search ($10/1k) and file search ($2.50/1k) calls", () => {
    const r = price({
      provider: "openai",
      requestModel: "gpt-4.1",
      usage: usage({
        inputTokens: 1000,
        outputTokens: 100,
        serverToolCalls: { webSearch: 1, fileSearch: 4 },
      }),
    });
    expect(r.costBreakdown).toEqual({
      input: 2_000_000,
      output: 800_000,
      webSearch: 10_000_000,
      fileSearch: 10_000_000,
    });
  });
});

describe("service tiers, by what the provider served", () => {
  const u = usage({ inputTokens: 1000, cacheReadTokens: 200, outputTokens: 100 });

  it("flex is half the standard rate (gpt-5: $0.625 / $0.0625 cached / $5)", () => {
    const r = price({ provider: "openai", requestModel: "gpt-5", usage: { ...u, serviceTier: "flex" } });
    expect(r.costBreakdown).toEqual({ input: 800 * 625, cacheRead: 200 * 62.5, output: 100 * 5000 });
    expect(r.priceSource).toMatch(/^genai-prices@[\d.]+\+table:\d{4}-\d{2}-\d{2}$/);
  });

  it("priority uses the per-model priority rates (gpt-4o: $4.25 / $2.125 cached / $17)", () => {
    const r = price({ provider: "openai", requestModel: "gpt-4o", usage: { ...u, serviceTier: "priority" } });
    expect(r.costBreakdown).toEqual({ input: 800 * 4250, cacheRead: 200 * 2125, output: 100 * 17_000 });
  });

  it("the standard tier under any name is the table rate", () => {
    for (const tier of [undefined, "default", "auto", "standard"]) {
      const r = price({ provider: "openai", requestModel: "gpt-4o", usage: { ...u, serviceTier: tier } });
      expect(r.costBreakdown).toEqual({ input: 800 * 2500, cacheRead: 200 * 1250, output: 100 * 10_000 });
    }
  });

  it("batch is half price on every token line, tool fees unchanged (Anthropic Message Batches)", () => {
    const r = price({
      provider: "anthropic",
      requestModel: "claude-sonnet-4-20250514",
      usage: usage({
        inputTokens: 1000,
        cacheReadTokens: 100,
        outputTokens: 100,
        batch: true,
        serverToolCalls: { webSearch: 1 },
      }),
    });
    expect(r.costBreakdown).toEqual({
      input: 900 * 1500,
      cacheRead: 100 * 150,
      output: 100 * 7500,
      webSearch: 10_000_000,
    });
  });

  it("a tier without a rate of its own is priced at standard, with one warning", () => {
    const r = price({
      provider: "openai",
      requestModel: "gpt-5-nano",
      usage: { ...u, serviceTier: "priority" },
    });
    expect(r.costBreakdown).toEqual({ input: 800 * 50, cacheRead: 200 * 5, output: 100 * 400 });
    expect(r.warnings).toEqual([expect.stringMatching(/no "priority" tier rate for model "gpt-5-nano"/)]);
  });
});

describe("audio tokens", () => {
  it("prices gpt-4o-audio-preview audio at $40 in / $80 out (genai-prices lists its text rates only)", () => {
    const r = price({
      provider: "openai",
      requestModel: "gpt-4o-audio-preview-2025-06-03",
      usage: usage({ inputTokens: 1500, audioInputTokens: 500, outputTokens: 200, audioOutputTokens: 150 }),
    });
    expect(r.costBreakdown).toEqual({
      input: 1000 * 2500,
      audioInput: 500 * 40_000,
      output: 50 * 10_000,
      audioOutput: 150 * 80_000,
    });
    expect(r.priceSource).toContain("+table:");
  });

  it("prices gpt-audio from genai-prices' own audio rates ($32 / $64)", () => {
    const r = price({
      provider: "openai",
      requestModel: "gpt-audio",
      usage: usage({ inputTokens: 1500, audioInputTokens: 500, outputTokens: 200, audioOutputTokens: 150 }),
    });
    expect(r.costBreakdown).toEqual({
      input: 1000 * 2500,
      audioInput: 500 * 32_000,
      output: 50 * 10_000,
      audioOutput: 150 * 64_000,
    });
    expect(r.priceSource).not.toContain("+table:");
  });
});

describe("OpenAI cache writes", () => {
  it("are billed where the model prices them (gpt-6-sol: $2.50 per MTok written)", () => {
    const r = price({
      provider: "openai",
      requestModel: "gpt-6-sol",
      usage: usage({ inputTokens: 2000, cacheWriteTokens: 1000, outputTokens: 0 }),
    });
    expect(r.costBreakdown).toEqual({ input: 1000 * 2000, cacheWrite5m: 1000 * 2500 });
  });
});

describe("Bedrock inference profiles", () => {
  it("prices a global. profile named in the URL at the global rate, not the body's model at the regional +10%", () => {
    const r = price({
      provider: "bedrock",
      requestModel: "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
      responseModel: "claude-sonnet-4-5-20250929",
      usage: usage({ inputTokens: 1000, outputTokens: 100 }),
    });
    expect(r).toMatchObject({ costNanos: 1000 * 3000 + 100 * 15_000, pricedProvider: "aws" });
    const regional = price({
      provider: "bedrock",
      requestModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      responseModel: "claude-sonnet-4-5-20250929",
      usage: usage({ inputTokens: 1000, outputTokens: 100 }),
    });
    expect(regional.costNanos).toBe(1000 * 3300 + 100 * 16_500);
  });
});

describe("estimates", () => {
  it("are priced like measured usage and flagged estimated", () => {
    const r = price({
      provider: "openai",
      requestModel: "gpt-4o-mini",
      usage: usage({ inputTokens: 1000, outputTokens: 10 }),
      estimated: true,
    });
    expect(r).toMatchObject({ costSource: "estimated", costNanos: 1000 * 150 + 10 * 600 });
  });
});
