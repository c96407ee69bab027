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
    ["a missing price", [{ model: "m", inputPerMTok: 1 }], "prices.0.outputPerMTok", /number/],
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
      priceSource: "override:gpt-4o",
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
    expect(result).toMatchObject({ costMicros: 1200, costSource: "override", pricedModel: "gpt-4o" });
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
