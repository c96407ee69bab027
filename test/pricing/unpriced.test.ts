import { describe, expect, it } from "vitest";
import { Pricer } from "../../src/pricing/index.js";
import { genaiMicros, spyLogger, usage } from "./helpers.js";

const TS = "2025-09-01T00:00:00Z";
const u = usage({ inputTokens: 100, outputTokens: 10 });

describe("unknown models", () => {
  it("are unpriced with exactly one warning per (provider, model) across many calls", () => {
    const logger = spyLogger();
    const p = new Pricer({ logger });
    for (let i = 0; i < 50; i++) {
      expect(p.price({ provider: "openai", requestModel: "gpt-nonexistent", usage: u, ts: TS })).toEqual({
        costNanos: null,
        costMicros: null,
        costSource: "unpriced",
      });
    }
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toMatch(/"gpt-nonexistent".*"openai"/);

    p.price({ provider: "anthropic", requestModel: "gpt-nonexistent", usage: u, ts: TS });
    p.price({ provider: "openai", requestModel: "other-nonexistent", usage: u, ts: TS });
    p.price({ provider: "openai", requestModel: "gpt-4o", usage: u, ts: TS });
    expect(logger.warn).toHaveBeenCalledTimes(3);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it("warn once for an unknown priceAsResource, naming the pricing provider", () => {
    const logger = spyLogger();
    const p = new Pricer({ logger });
    for (let i = 0; i < 5; i++) {
      const input = {
        provider: "azure-openai",
        requestModel: "dep",
        priceAsResource: "no-such-model",
        priceAsCategory: "openai",
        usage: u,
        ts: TS,
      };
      expect(p.price(input).costSource).toBe("unpriced");
    }
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toMatch(/"no-such-model".*"openai"/);
  });

  it("an unknown provider is tried as a genai-prices id and is unpriced when it is none", () => {
    const logger = spyLogger();
    const p = new Pricer({ logger });
    expect(p.price({ provider: "my-gateway", requestModel: "gpt-4o", usage: u, ts: TS }).costSource).toBe(
      "unpriced",
    );
    expect(
      p.price({ provider: "mistral", requestModel: "mistral-large-latest", usage: u, ts: TS }),
    ).toMatchObject({
      costSource: "computed",
      costMicros: genaiMicros("mistral-large-latest", "mistral", u, TS),
    });
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
});

describe("robustness", () => {
  it("never throws on inconsistent or junk usage, and never returns a non-integer cost", () => {
    const logger = spyLogger();
    const p = new Pricer({ logger });
    const junk = [
      usage({
        inputTokens: 10,
        cacheReadTokens: 50,
        cacheWriteTokens: 50,
        outputTokens: 5,
        reasoningTokens: 9,
      }),
      usage({ inputTokens: Number.NaN, outputTokens: -4 }),
      usage({ inputTokens: Number.POSITIVE_INFINITY, outputTokens: 1.6 }),
    ];
    for (const bad of junk) {
      for (const model of ["claude-3-5-haiku-20241022", "o3", "gpt-4o"]) {
        const result = p.price({
          provider: model.startsWith("claude") ? "anthropic" : "openai",
          requestModel: model,
          usage: bad,
          ts: TS,
        });
        expect(result.costSource).toBe("computed");
        expect(Number.isInteger(result.costMicros)).toBe(true);
        expect(result.costMicros).toBeGreaterThanOrEqual(0);
      }
    }
    // Buckets larger than the total raise the total (never under-count): 100 cache tokens on claude-3-5-haiku.
    expect(
      p.price({ provider: "anthropic", requestModel: "claude-3-5-haiku-20241022", usage: junk[0]!, ts: TS })
        .costMicros,
    ).toBe(Math.round(50 * 0.08 + 50 * 1 + 9 * 4));
  });

  it("prices an unparseable timestamp at today's rate rather than failing", () => {
    const p = new Pricer({ logger: spyLogger() });
    const result = p.price({ provider: "openai", requestModel: "o3", usage: u, ts: "not a date" });
    expect(result.costMicros).toBe(genaiMicros("o3", "openai", u, new Date().toISOString()));
  });

  it("returns a zero cost, not unpriced, for a call with no usage", () => {
    const p = new Pricer({ logger: spyLogger() });
    expect(p.price({ provider: "openai", requestModel: "gpt-4o", usage: usage({}), ts: TS })).toMatchObject({
      costMicros: 0,
      costSource: "computed",
    });
  });
});
