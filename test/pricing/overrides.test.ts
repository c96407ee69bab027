import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { Pricer, parsePriceOverrides } from "../../src/pricing/index.js";
import type { PriceOverride } from "../../src/types.js";
import { spyLogger, usage } from "./helpers.js";

const TS = "2025-09-01T00:00:00Z";

function pricer(overrides: PriceOverride[]) {
  return new Pricer({ overrides, logger: spyLogger() });
}

function fieldOf(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { field: (err as ConfigError).field, message: (err as ConfigError).message };
  }
  throw new Error("expected a ConfigError");
}

describe("parsePriceOverrides", () => {
  const ok = { model: "m", inputPerMTok: 1, outputPerMTok: 2 };

  it("accepts valid overrides, trims names and drops absent optionals", () => {
    expect(
      parsePriceOverrides([
        {
          model: " my-deployment ",
          provider: "azure-openai",
          inputPerMTok: 2.5,
          outputPerMTok: 10,
          cacheReadPerMTok: 1.25,
        },
        { model: "free-model", inputPerMTok: 0, outputPerMTok: 0, cacheWritePerMTok: undefined },
      ]),
    ).toEqual([
      {
        model: "my-deployment",
        provider: "azure-openai",
        inputPerMTok: 2.5,
        outputPerMTok: 10,
        cacheReadPerMTok: 1.25,
      },
      { model: "free-model", inputPerMTok: 0, outputPerMTok: 0 },
    ]);
    expect(parsePriceOverrides(undefined)).toEqual([]);
  });

  it.each([
    ["a negative price", [ok, { ...ok, model: "n", inputPerMTok: -1 }], "prices.1.inputPerMTok", /≥ 0/],
    [
      "an infinite price",
      [{ ...ok, outputPerMTok: Number.POSITIVE_INFINITY }],
      "prices.0.outputPerMTok",
      /finite/,
    ],
    ["a NaN price", [{ ...ok, cacheReadPerMTok: Number.NaN }], "prices.0.cacheReadPerMTok", /finite/],
    ["a string price", [{ ...ok, cacheWritePerMTok: "3" }], "prices.0.cacheWritePerMTok", /finite number/],
    ["a missing price", [{ model: "m", inputPerMTok: 1 }], "prices.0.outputPerMTok", /required/],
    ["no price and no discount", [{ model: "m" }], "prices.0.inputPerMTok", /required/],
    ["a discount over 100", [{ model: "*", discountPct: 120 }], "prices.0.discountPct", /≤ 100/],
    ["an empty account", [{ ...ok, accountName: "" }], "prices.0.accountName", /empty/],
    ["an empty model", [{ ...ok, model: "  " }], "prices.0.model", /empty/],
    ["an empty provider", [{ ...ok, provider: "" }], "prices.0.provider", /empty/],
    ["an unknown key", [{ ...ok, inputPerMtok: 3 }], "prices.0.inputPerMtok", /not a price override field/],
    ["a non-object entry", ["gpt-4o"], "prices.0", /must be an object/],
    ["a non-array", { model: "m" }, "prices", /array/],
    ["a duplicate model", [ok, { ...ok, model: "M" }], "prices.1.model", /duplicates/],
  ])("rejects %s, naming the field", (_name, input, field, message) => {
    const error = fieldOf(() => parsePriceOverrides(input));
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toMatch(message);
  });

  it("uses the given path prefix", () => {
    expect(fieldOf(() => parsePriceOverrides([{ ...ok, inputPerMTok: -1 }], "config.prices")).field).toBe(
      "config.prices.0.inputPerMTok",
    );
  });

  it("allows the same model once per provider", () => {
    expect(
      parsePriceOverrides([ok, { ...ok, provider: "openai" }, { ...ok, provider: "azure-openai" }]),
    ).toHaveLength(3);
    // Our name and genai-prices' id denote the same provider.
    expect(
      fieldOf(() =>
        parsePriceOverrides([
          { ...ok, provider: "azure" },
          { ...ok, provider: "azure-openai" },
        ]),
      ).field,
    ).toBe("prices.1.model");
  });

  it("is applied by the Pricer constructor too", () => {
    expect(
      fieldOf(() => new Pricer({ overrides: [{ ...ok, inputPerMTok: -2 }], logger: spyLogger() })).field,
    ).toBe("prices.0.inputPerMTok");
  });
});

describe("overrides", () => {
  const u = usage({ inputTokens: 1000, cacheReadTokens: 400, cacheWriteTokens: 100, outputTokens: 200 });

  it("win over the table, with exact integer costs", () => {
    const p = pricer([
      { model: "gpt-4o", inputPerMTok: 1, outputPerMTok: 3, cacheReadPerMTok: 0.5, cacheWritePerMTok: 2 },
    ]);
    expect(p.price({ provider: "openai", requestModel: "gpt-4o", usage: u, ts: TS })).toEqual({
      costNanos: (500 * 1 + 400 * 0.5 + 100 * 2 + 200 * 3) * 1000,
      costMicros: 500 * 1 + 400 * 0.5 + 100 * 2 + 200 * 3,
      costBreakdown: { input: 500_000, cacheRead: 200_000, cacheWrite5m: 200_000, output: 600_000 },
      // The override's rates, over the table entry it replaces (which supplies nothing else here).
      priceSource: expect.stringMatching(/^override:gpt-4o\+genai-prices@\d/),
      costSource: "override",
      pricedModel: "gpt-4o",
      pricedProvider: "openai",
    });
  });

  it("bill cache tokens at the input price when no cache price is given", () => {
    const p = pricer([{ model: "custom", inputPerMTok: 2, outputPerMTok: 4 }]);
    expect(p.price({ provider: "openai", requestModel: "custom", usage: u, ts: TS }).costMicros).toBe(
      1000 * 2 + 200 * 4,
    );
  });

  it("win over priceAsResource table lookups", () => {
    const p = pricer([{ model: "gpt-4o", inputPerMTok: 1, outputPerMTok: 1 }]);
    const result = p.price({
      provider: "azure-openai",
      requestModel: "dep",
      priceAsResource: "gpt-4o",
      usage: u,
      ts: TS,
    });
    // 500 uncached × $1 + 400 cached × $0.50 (the table's 50% cache discount kept) + 100 writes at input
    // (gpt-4o prices no cache writes) + 200 out × $1.
    expect(result).toMatchObject({ costMicros: 1000, costSource: "override", pricedModel: "gpt-4o" });
  });

  it("match an Azure deployment name even when Azure reports the underlying responseModel", () => {
    const p = pricer([{ model: "my-gpt4o-deployment", inputPerMTok: 5, outputPerMTok: 20 }]);
    const result = p.price({
      provider: "azure-openai",
      requestModel: "my-gpt4o-deployment",
      responseModel: "gpt-4o-2024-08-06",
      usage: usage({ inputTokens: 100, outputTokens: 10 }),
      ts: TS,
    });
    expect(result).toMatchObject({
      costMicros: 700,
      costSource: "override",
      pricedModel: "my-gpt4o-deployment",
    });
  });

  it("respect a provider restriction, and a provider-specific override beats a generic one", () => {
    const p = pricer([
      { model: "gpt-4o", inputPerMTok: 1, outputPerMTok: 1 },
      { model: "gpt-4o", provider: "azure-openai", inputPerMTok: 7, outputPerMTok: 7 },
    ]);
    const one = usage({ inputTokens: 1, outputTokens: 0 });
    expect(p.price({ provider: "azure-openai", requestModel: "gpt-4o", usage: one, ts: TS })).toMatchObject({
      costMicros: 7,
      pricedProvider: "azure",
    });
    expect(p.price({ provider: "openai", requestModel: "gpt-4o", usage: one, ts: TS })).toMatchObject({
      costMicros: 1,
      pricedProvider: "openai",
    });
    const azureOnly = pricer([{ model: "gpt-4o", provider: "azure", inputPerMTok: 7, outputPerMTok: 7 }]);
    expect(
      azureOnly.price({ provider: "openai", requestModel: "gpt-4o", usage: one, ts: TS }).costSource,
    ).toBe("computed");
  });

  it("round half up exactly where float arithmetic would not (90 × 0.35 = 31.5 µ$, but 90 * 0.35 = 31.499…)", () => {
    expect(90 * 0.35).toBeLessThan(31.5);
    const p = pricer([{ model: "m", inputPerMTok: 0, outputPerMTok: 0.35 }]);
    expect(
      p.price({ provider: "x", requestModel: "m", usage: usage({ outputTokens: 90 }), ts: TS }).costMicros,
    ).toBe(32);
  });

  it("stay exact beyond 2^53 pico-dollars", () => {
    const p = pricer([{ model: "m", inputPerMTok: 1_000_000.000001, outputPerMTok: 0 }]);
    // 9e9 tokens × 1,000,000.000001 µ$ = 9,000,000,000,009,000 µ$ (as an integer, beyond float precision).
    const result = p.price({ provider: "x", requestModel: "m", usage: usage({ inputTokens: 9e9 }), ts: TS });
    expect(result.costMicros).toBe(Number(9_000_000_000_009_000n));
  });
});

describe("override patterns, cache rates, discounts and tiers", () => {
  const one = usage({ inputTokens: 1000, outputTokens: 100 });

  it("match fine-tune and deployment patterns; an exact name beats a pattern, a longer pattern a shorter", () => {
    const p = pricer([
      { model: "ft:gpt-4o-mini:*", inputPerMTok: 0.3, outputPerMTok: 1.2 },
      { model: "ft:gpt-4o-mini:acme:*", inputPerMTok: 0.25, outputPerMTok: 1 },
      { model: "ft:gpt-4o-mini:acme:special:1", inputPerMTok: 0.1, outputPerMTok: 0.1 },
      { model: "my-deployment-*", provider: "azure-openai", inputPerMTok: 2, outputPerMTok: 8 },
    ]);
    const at = (provider: string, model: string) =>
      p.price({ provider, requestModel: model, usage: one, ts: TS });
    expect(at("openai", "ft:gpt-4o-mini:other:x:abc")).toMatchObject({
      costNanos: 1000 * 300 + 100 * 1200,
      priceSource: "override:ft:gpt-4o-mini:*",
      pricedModel: "ft:gpt-4o-mini:*",
    });
    expect(at("openai", "FT:gpt-4o-mini:acme:y:1").costNanos).toBe(1000 * 250 + 100 * 1000);
    expect(at("openai", "ft:gpt-4o-mini:acme:special:1").costNanos).toBe(1000 * 100 + 100 * 100);
    expect(at("azure-openai", "my-deployment-eu").costNanos).toBe(1000 * 2000 + 100 * 8000);
    // Restricted to Azure: the same name on another provider is not matched (and here unpriced).
    expect(at("openai", "my-deployment-eu").costSource).toBe("unpriced");
  });

  it("keep the table's cache discounts for a negotiated rate instead of billing cached tokens as input", () => {
    // claude-sonnet-4: cache read 0.1×, 5m write 1.25×, 1h write 2× input. Negotiated input $2.
    const p = pricer([{ model: "claude-sonnet-4-20250514", inputPerMTok: 2, outputPerMTok: 10 }]);
    const r = p.price({
      provider: "anthropic",
      requestModel: "claude-sonnet-4-20250514",
      usage: usage({
        inputTokens: 4000,
        cacheReadTokens: 1000,
        cacheWriteTokens: 2000,
        cacheWrite1hTokens: 1000,
        outputTokens: 100,
      }),
      ts: TS,
    });
    expect(r.costBreakdown).toEqual({
      input: 1000 * 2000,
      cacheRead: 1000 * 200,
      cacheWrite5m: 1000 * 2500,
      cacheWrite1h: 1000 * 4000,
      output: 100 * 10_000,
    });
  });

  it("give a per-account discount off the table, tool fees included, for that account only", () => {
    const p = pricer([{ model: "*", provider: "anthropic", accountName: "acme", discountPct: 20 }]);
    const u = usage({ inputTokens: 1000, outputTokens: 100, serverToolCalls: { webSearch: 1 } });
    const at = (accountName?: string) =>
      p.price({
        provider: "anthropic",
        requestModel: "claude-sonnet-4-20250514",
        usage: u,
        ts: TS,
        ...(accountName ? { accountName } : {}),
      });
    expect(at("acme")).toMatchObject({
      costSource: "override",
      costBreakdown: { input: 1000 * 2400, output: 100 * 12_000, webSearch: 8_000_000 },
      priceSource: expect.stringMatching(/^override:\*\+genai-prices@/),
    });
    expect(at("globex")).toMatchObject({
      costSource: "computed",
      costBreakdown: { input: 1000 * 3000, output: 100 * 15_000, webSearch: 10_000_000 },
    });
    expect(at()).toMatchObject({ costSource: "computed" });
  });

  it("a discount applies on top of a rate override; the batch tier halves negotiated rates too", () => {
    const p = pricer([
      { model: "gpt-4o", inputPerMTok: 2, outputPerMTok: 8 },
      { model: "*", discountPct: 10 },
    ]);
    const r = p.price({ provider: "openai", requestModel: "gpt-4o", usage: { ...one, batch: true }, ts: TS });
    // ($2 × 0.5 × 0.9) per MTok input, ($8 × 0.5 × 0.9) output.
    expect(r.costBreakdown).toEqual({ input: 1000 * 900, output: 100 * 3600 });
    expect(r.priceSource).toMatch(/^override:gpt-4o\+override:\*\+genai-prices@[\d.]+\+table:/);
  });

  it("a discount of a model the table does not know leaves it unpriced", () => {
    const p = pricer([{ model: "*", discountPct: 10 }]);
    expect(p.price({ provider: "openai", requestModel: "nope", usage: one, ts: TS }).costSource).toBe(
      "unpriced",
    );
  });
});
