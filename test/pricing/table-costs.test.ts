import { describe, expect, it } from "vitest";
import { type PriceInput, Pricer } from "../../src/pricing/index.js";
import { genaiMicros, genaiNanos, spyLogger, usage } from "./helpers.js";

const TS = "2025-09-01T12:00:00.000Z";

function price(input: Omit<PriceInput, "ts"> & { ts?: string }) {
  const logger = spyLogger();
  const result = new Pricer({ logger }).price({ ts: TS, ...input });
  return { ...result, warnings: logger.warn.mock.calls.length };
}

describe("table prices equal genai-prices to the nano-dollar", () => {
  // Each case: the figure genai-prices gives, and where noted one worked out by hand from the published
  // per-MTok prices (so a wrong token mapping cannot pass by mirroring the implementation).
  const cases: {
    name: string;
    provider: string;
    model: string;
    genaiProvider: string;
    u: ReturnType<typeof usage>;
    hand?: number;
  }[] = [
    {
      // 600 uncached × $2.50 + 400 cached × $1.25 + 200 out × $10 (per MTok = µ$ per token)
      name: "gpt-4o with cached input",
      provider: "openai",
      model: "gpt-4o",
      genaiProvider: "openai",
      u: usage({ inputTokens: 1000, cacheReadTokens: 400, outputTokens: 200 }),
      hand: 600 * 2.5 + 400 * 1.25 + 200 * 10,
    },
    {
      name: "gpt-4o-mini",
      provider: "openai",
      model: "gpt-4o-mini",
      genaiProvider: "openai",
      u: usage({ inputTokens: 12_000, outputTokens: 3_000 }),
      hand: 12_000 * 0.15 + 3_000 * 0.6,
    },
    {
      // Reasoning tokens are part of outputTokens and billed once, at the output rate ($2 / $8 since 2025-06-10).
      name: "o3 with reasoning tokens",
      provider: "openai",
      model: "o3",
      genaiProvider: "openai",
      u: usage({ inputTokens: 1000, outputTokens: 500, reasoningTokens: 300 }),
      hand: 1000 * 2 + 500 * 8,
    },
    {
      name: "o4-mini with reasoning and cached input",
      provider: "openai",
      model: "o4-mini-2025-04-16",
      genaiProvider: "openai",
      u: usage({ inputTokens: 5000, cacheReadTokens: 4000, outputTokens: 2500, reasoningTokens: 2000 }),
    },
    {
      // 4000 uncached × $3 + 4000 read × $0.30 + 2000 written × $3.75 + 800 out × $15
      name: "claude-sonnet-4 with cache read and write",
      provider: "anthropic",
      model: "claude-sonnet-4-20250514",
      genaiProvider: "anthropic",
      u: usage({ inputTokens: 10_000, cacheReadTokens: 4000, cacheWriteTokens: 2000, outputTokens: 800 }),
      hand: 4000 * 3 + 4000 * 0.3 + 2000 * 3.75 + 800 * 15,
    },
    {
      // 5000 uncached × $0.80 + 2000 read × $0.08 + 3000 written × $1 + 500 out × $4
      name: "claude-3-5-haiku with cache read and write",
      provider: "anthropic",
      model: "claude-3-5-haiku-20241022",
      genaiProvider: "anthropic",
      u: usage({ inputTokens: 10_000, cacheReadTokens: 2000, cacheWriteTokens: 3000, outputTokens: 500 }),
      hand: 5000 * 0.8 + 2000 * 0.08 + 3000 * 1 + 500 * 4,
    },
    {
      name: "claude-haiku-4-5 with cache read and write",
      provider: "anthropic",
      model: "claude-haiku-4-5-20251001",
      genaiProvider: "anthropic",
      u: usage({ inputTokens: 10_000, cacheReadTokens: 2000, cacheWriteTokens: 3000, outputTokens: 500 }),
      hand: 5000 * 1 + 2000 * 0.1 + 3000 * 1.25 + 500 * 5,
    },
    {
      name: "claude-3-7-sonnet, odd token counts",
      provider: "anthropic",
      model: "claude-3-7-sonnet-20250219",
      genaiProvider: "anthropic",
      u: usage({ inputTokens: 12_345, cacheReadTokens: 1_111, cacheWriteTokens: 777, outputTokens: 999 }),
    },
    {
      name: "bedrock cross-region inference profile",
      provider: "bedrock",
      model: "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
      genaiProvider: "aws",
      u: usage({ inputTokens: 1000, outputTokens: 100 }),
      hand: 1000 * 3 + 100 * 15,
    },
    {
      name: "bedrock foundation model id",
      provider: "bedrock",
      model: "anthropic.claude-3-5-haiku-20241022-v1:0",
      genaiProvider: "aws",
      u: usage({ inputTokens: 4321, cacheReadTokens: 1000, cacheWriteTokens: 321, outputTokens: 77 }),
    },
    {
      name: "google gemini-2.5-pro (any genai-prices provider id works)",
      provider: "google",
      model: "gemini-2.5-pro",
      genaiProvider: "google",
      u: usage({ inputTokens: 3000, cacheReadTokens: 1000, outputTokens: 400 }),
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const result = price({ provider: c.provider, requestModel: c.model, usage: c.u });
      expect(result.costSource).toBe("computed");
      expect(result.costNanos).toBe(genaiNanos(c.model, c.genaiProvider, c.u, TS));
      expect(result.costMicros).toBe(genaiMicros(c.model, c.genaiProvider, c.u, TS));
      if (c.hand !== undefined) expect(result.costNanos).toBe(Math.round(c.hand * 1000));
      expect(Number.isInteger(result.costMicros)).toBe(true);
      expect(result.warnings).toBe(0);
    });
  }
});

describe("which model is priced", () => {
  const u = usage({ inputTokens: 1000, outputTokens: 100 });

  it("prices the responseModel when it is priced (a dated snapshot can cost more than the alias)", () => {
    const result = price({
      provider: "openai",
      requestModel: "gpt-4o",
      responseModel: "gpt-4o-2024-05-13",
      usage: u,
    });
    expect(result).toMatchObject({
      costMicros: 1000 * 5 + 100 * 15,
      pricedModel: "gpt-4o-2024-05-13",
      pricedProvider: "openai",
    });
    expect(result.costMicros).toBe(genaiMicros("gpt-4o-2024-05-13", "openai", u, TS));
  });

  it("prices dated response models such as gpt-4o-2024-08-06", () => {
    const result = price({
      provider: "openai",
      requestModel: "gpt-4o",
      responseModel: "gpt-4o-2024-08-06",
      usage: u,
    });
    expect(result).toMatchObject({ costMicros: 1000 * 2.5 + 100 * 10, pricedModel: "gpt-4o-2024-08-06" });
  });

  it("falls back to the requestModel when the responseModel is unknown, without warning", () => {
    const result = price({
      provider: "openai",
      requestModel: "gpt-4o",
      responseModel: "gpt-4o-preview-xyz",
      usage: u,
    });
    expect(result).toMatchObject({
      costMicros: 3500,
      costSource: "computed",
      pricedModel: "gpt-4o",
      warnings: 0,
    });
  });

  it("matches model names case-insensitively, as genai-prices does", () => {
    expect(price({ provider: "OpenAI", requestModel: "GPT-4o", usage: u }).costMicros).toBe(3500);
  });
});

describe("Azure OpenAI", () => {
  const u = usage({ inputTokens: 1000, cacheReadTokens: 400, outputTokens: 200 });

  it("prices a deployment name through priceAsResource, under genai-prices' azure provider", () => {
    const result = price({
      provider: "azure-openai",
      requestModel: "my-gpt4o-deployment",
      priceAsResource: "gpt-4o",
      usage: u,
    });
    expect(result).toMatchObject({
      costSource: "computed",
      pricedModel: "gpt-4o",
      pricedProvider: "azure",
      warnings: 0,
    });
    // genai-prices' azure table falls back to openai's for gpt-4o.
    expect(result.costMicros).toBe(genaiMicros("gpt-4o", "azure", u, TS));
    expect(result.costMicros).toBe(4000);
  });

  it("leaves a bare deployment name unpriced", () => {
    expect(price({ provider: "azure-openai", requestModel: "my-gpt4o-deployment", usage: u })).toMatchObject({
      costMicros: null,
      costSource: "unpriced",
      warnings: 1,
    });
  });

  it("prices the underlying model Azure reports as responseModel", () => {
    const result = price({
      provider: "azure-openai",
      requestModel: "my-gpt4o-deployment",
      responseModel: "gpt-4o-2024-11-20",
      usage: u,
    });
    expect(result).toMatchObject({
      costMicros: 4000,
      pricedModel: "gpt-4o-2024-11-20",
      pricedProvider: "azure",
    });
  });

  it("uses Azure's own table where it has one (o4-mini cached input: $0.28 on Azure, $0.275 on OpenAI)", () => {
    const cached = usage({ inputTokens: 10_000, cacheReadTokens: 10_000, outputTokens: 0 });
    const azure = price({ provider: "azure-openai", requestModel: "o4-mini", usage: cached });
    const openai = price({ provider: "openai", requestModel: "o4-mini", usage: cached });
    expect(azure.costMicros).toBe(2800);
    expect(openai.costMicros).toBe(2750);
    expect(azure.costMicros).toBe(genaiMicros("o4-mini", "azure", cached, TS));
  });

  it("priceAsCategory picks the provider table, by our name or genai-prices' id", () => {
    const base = {
      provider: "azure-openai",
      requestModel: "dep",
      priceAsResource: "o4-mini",
      usage: usage({ inputTokens: 10_000, cacheReadTokens: 10_000 }),
    };
    expect(price({ ...base, priceAsCategory: "openai" })).toMatchObject({
      costMicros: 2750,
      pricedProvider: "openai",
    });
    expect(price({ ...base, priceAsCategory: "azure" })).toMatchObject({
      costMicros: 2800,
      pricedProvider: "azure",
    });
    expect(price({ ...base, priceAsCategory: "azure-openai" })).toMatchObject({
      costMicros: 2800,
      pricedProvider: "azure",
    });
  });

  it("ignores priceAsCategory without priceAsResource", () => {
    const result = price({
      provider: "azure-openai",
      requestModel: "o4-mini",
      priceAsCategory: "openai",
      usage: usage({ inputTokens: 10_000, cacheReadTokens: 10_000 }),
    });
    expect(result).toMatchObject({ costMicros: 2800, pricedProvider: "azure" });
  });

  it("priceAsResource on any provider prices the call as that model", () => {
    const result = price({
      provider: "anthropic",
      requestModel: "claude-custom",
      priceAsResource: "claude-3-5-haiku-20241022",
      usage: usage({ inputTokens: 1000, outputTokens: 100 }),
    });
    expect(result).toMatchObject({
      costMicros: 1000 * 0.8 + 100 * 4,
      pricedModel: "claude-3-5-haiku-20241022",
      pricedProvider: "anthropic",
    });
  });
});

describe("Bedrock model ids", () => {
  it("prices full ARNs by their model or inference-profile id", () => {
    const u = usage({ inputTokens: 2000, outputTokens: 300 });
    const arn = "arn:aws:bedrock:us-west-2::foundation-model/openai.gpt-5.4";
    const result = price({ provider: "bedrock", requestModel: arn, usage: u });
    expect(result).toMatchObject({ costSource: "computed", pricedProvider: "aws" });
    expect(result.costMicros).toBe(genaiMicros("openai.gpt-5.4", "aws", u, TS));
  });

  it("prices Anthropic inference profiles in every region prefix", () => {
    const u = usage({ inputTokens: 1000, outputTokens: 100 });
    for (const id of [
      "eu.anthropic.claude-sonnet-4-20250514-v1:0",
      "us.anthropic.claude-sonnet-4-20250514-v1:0",
    ]) {
      expect(price({ provider: "bedrock", requestModel: id, usage: u }).costMicros).toBe(4500);
    }
  });
});

describe("tiers and dated prices", () => {
  it("applies claude-sonnet-4-5's long-context tier to the whole call once input exceeds 200k tokens", () => {
    const at = (inputTokens: number, cacheReadTokens = 0) =>
      price({
        provider: "anthropic",
        requestModel: "claude-sonnet-4-5",
        usage: usage({ inputTokens, cacheReadTokens, outputTokens: 1000 }),
      });
    // genai-prices: a tier applies when total input tokens (cache included) > its start.
    expect(at(200_000).costMicros).toBe(200_000 * 3 + 1000 * 15);
    expect(at(200_001).costMicros).toBe(200_001 * 6 + 1000 * 22.5);
    expect(at(250_000, 100_000).costMicros).toBe(150_000 * 6 + 100_000 * 0.6 + 1000 * 22.5);
    for (const [input, read] of [
      [200_000, 0],
      [200_001, 0],
      [250_000, 100_000],
    ] as const) {
      expect(at(input, read).costMicros).toBe(
        genaiMicros(
          "claude-sonnet-4-5",
          "anthropic",
          usage({ inputTokens: input, cacheReadTokens: read, outputTokens: 1000 }),
          TS,
        ),
      );
    }
  });

  it("applies gemini-2.5-pro's tier", () => {
    const u = usage({ inputTokens: 300_000, outputTokens: 2000 });
    const result = price({ provider: "google", requestModel: "gemini-2.5-pro", usage: u });
    expect(result.costMicros).toBe(300_000 * 2.5 + 2000 * 15);
    expect(result.costMicros).toBe(genaiMicros("gemini-2.5-pro", "google", u, TS));
  });

  it("prices o3 at the rate in force at the call's timestamp (cut from $10/$40 to $2/$8 on 2025-06-10)", () => {
    const u = usage({ inputTokens: 1000, outputTokens: 500, reasoningTokens: 300 });
    const at = (ts: string) => price({ provider: "openai", requestModel: "o3", usage: u, ts }).costMicros;
    expect(at("2025-06-09T23:59:59.999Z")).toBe(1000 * 10 + 500 * 40);
    expect(at("2025-06-10T00:00:00.000Z")).toBe(1000 * 2 + 500 * 8);
    for (const ts of ["2025-06-09T23:59:59.999Z", "2025-06-10T00:00:00.000Z"]) {
      expect(at(ts)).toBe(genaiMicros("o3", "openai", u, ts));
    }
  });

  it("accepts a Date timestamp", () => {
    const u = usage({ inputTokens: 1000, outputTokens: 500 });
    const p = new Pricer({ logger: spyLogger() });
    expect(
      p.price({ provider: "openai", requestModel: "o3", usage: u, ts: new Date("2025-01-01T00:00:00Z") })
        .costMicros,
    ).toBe(30_000);
  });

  it("accepts epoch milliseconds (a call's start), dated variants and a single variant alike", () => {
    const u = usage({ inputTokens: 1000, outputTokens: 500 });
    const p = new Pricer({ logger: spyLogger() });
    const o3 = (ts: number) => p.price({ provider: "openai", requestModel: "o3", usage: u, ts }).costMicros;
    expect(o3(Date.parse("2025-06-09T23:59:59.999Z"))).toBe(1000 * 10 + 500 * 40);
    expect(o3(Date.parse("2025-06-10T00:00:00.000Z"))).toBe(1000 * 2 + 500 * 8);
    const ms = Date.parse("2025-09-01T00:00:00Z");
    const mini = (ts: number | Date) =>
      p.price({ provider: "openai", requestModel: "gpt-4o-mini", usage: u, ts });
    expect(mini(ms)).toEqual(mini(new Date(ms)));
    expect(mini(ms).costMicros).not.toBeNull();
  });

  it("drops claude-sonnet-4-6's long-context tier from 2026-03-13", () => {
    const u = usage({ inputTokens: 250_000, outputTokens: 1000 });
    const at = (ts: string) =>
      price({ provider: "anthropic", requestModel: "claude-sonnet-4-6", usage: u, ts }).costMicros;
    expect(at("2026-03-12T12:00:00Z")).toBe(250_000 * 6 + 1000 * 22.5);
    expect(at("2026-03-13T12:00:00Z")).toBe(250_000 * 3 + 1000 * 15);
    expect(at("2026-03-12T12:00:00Z")).toBe(
      genaiMicros("claude-sonnet-4-6", "anthropic", u, "2026-03-12T12:00:00Z"),
    );
    expect(at("2026-03-13T12:00:00Z")).toBe(
      genaiMicros("claude-sonnet-4-6", "anthropic", u, "2026-03-13T12:00:00Z"),
    );
  });
});
