import type { ModelPrice } from "@pydantic/genai-prices";

/**
 * Billing lines genai-prices does not model (in the bundled version), from the providers' own price pages.
 * Each entry names its source and the date it was read; docs/pricing.md lists them. Prices use genai-prices'
 * price keys and units (USD per MTok for `_mtok`, USD per 1,000 for `_kcount`), so they price through the
 * same lattice. Matching is by the genai-prices model id the call resolved to (so dated names are covered).
 */
export interface ExtraRate {
  /** genai-prices provider id. */
  provider: string;
  /** genai-prices model ids. */
  models: readonly string[];
  /** When set, the entry applies only to calls the provider says it served in this tier. */
  tier?: ServedTier;
  /** Prices added to the model's; a key genai-prices already prices is never replaced (unless `tier` is set). */
  prices?: ModelPrice;
  /** Multiplies every token price (`_mtok` keys) of the model, e.g. 0.5 for a batch discount. */
  tokenMultiplier?: number;
  source: string;
  /** ISO date the source was read. */
  date: string;
}

/** Tiers a provider may report having served; "standard" is the default tier under any provider's name for it. */
export type ServedTier = "standard" | "flex" | "priority" | "batch" | "scale";

/** The date of the newest entry: the `table:<date>` in a price source. */
export const EXTRA_RATES_DATE = "2026-12-01";

const OPENAI_PRICING = "https://platform.openai.com/docs/pricing";
const ANTHROPIC_PRICING = "https://docs.claude.com/en/docs/about-claude/pricing";

export const EXTRA_RATES: readonly ExtraRate[] = [
  // Audio tokens of the chat audio previews: genai-prices lists their text rates only.
  {
    provider: "openai",
    models: ["gpt-4o-audio-preview"],
    prices: { input_audio_mtok: 40, output_audio_mtok: 80 },
    source: OPENAI_PRICING,
    date: "2026-12-01",
  },
  {
    provider: "openai",
    models: ["gpt-4o-mini-audio-preview"],
    prices: { input_audio_mtok: 10, output_audio_mtok: 20 },
    source: OPENAI_PRICING,
    date: "2026-12-01",
  },
  // Flex processing and the Batch API bill every token at half the standard rate; per-call tool fees are not
  // discounted.
  {
    provider: "openai",
    models: ["*"],
    tier: "flex",
    tokenMultiplier: 0.5,
    source: "https://platform.openai.com/docs/guides/flex-processing",
    date: "2026-12-01",
  },
  {
    provider: "openai",
    models: ["*"],
    tier: "batch",
    tokenMultiplier: 0.5,
    source: "https://platform.openai.com/docs/guides/batch",
    date: "2026-12-01",
  },
  {
    provider: "azure",
    models: ["*"],
    tier: "batch",
    tokenMultiplier: 0.5,
    source: "https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/",
    date: "2026-12-01",
  },
  // Priority processing: per-model rates (input, cached input, output), not one multiplier.
  ...(
    [
      ["gpt-5", 2.5, 0.25, 20],
      ["gpt-5-mini", 0.45, 0.045, 3.6],
      ["gpt-4.1", 3.5, 0.875, 14],
      ["gpt-4.1-mini", 0.7, 0.175, 2.8],
      ["gpt-4.1-nano", 0.2, 0.05, 0.8],
      ["gpt-4o", 4.25, 2.125, 17],
      ["gpt-4o-mini", 0.25, 0.125, 1],
      ["o3", 3.5, 0.875, 14],
      ["o4-mini", 2, 0.5, 8],
    ] as const
  ).map(
    ([model, input, cached, output]): ExtraRate => ({
      provider: "openai",
      models: [model],
      tier: "priority",
      prices: { input_mtok: input, cache_read_mtok: cached, output_mtok: output },
      source: OPENAI_PRICING,
      date: "2026-12-01",
    }),
  ),
  // Message Batches: 50% of every token price, cache multipliers included.
  {
    provider: "anthropic",
    models: ["*"],
    tier: "batch",
    tokenMultiplier: 0.5,
    source: `${ANTHROPIC_PRICING}#batch-processing`,
    date: "2026-12-01",
  },
  {
    provider: "aws",
    models: ["*"],
    tier: "batch",
    tokenMultiplier: 0.5,
    source: "https://aws.amazon.com/bedrock/pricing/",
    date: "2026-12-01",
  },
];

// Entries naming models first: a per-model tier table wins over a provider-wide multiplier for the same tier.
const ORDERED = [
  ...EXTRA_RATES.filter((e) => !e.models.includes("*")),
  ...EXTRA_RATES.filter((e) => e.models.includes("*")),
];

/** A usage's served tier, from the provider's own words ("default", "standard_only", "auto" → standard). */
export function toServedTier(serviceTier: string | undefined, batch: boolean | undefined): ServedTier {
  if (batch) return "batch";
  switch (serviceTier?.trim().toLowerCase()) {
    case "flex":
      return "flex";
    case "priority":
      return "priority";
    case "batch":
      return "batch";
    case "scale":
      return "scale";
    default:
      return "standard";
  }
}

/**
 * The model's prices with our extra lines for the served tier applied, and the entries used (for the price
 * source). `unpricedTier` is true when the tier was served but we have no rate for it (priced as standard).
 */
export function applyExtraRates(
  provider: string,
  modelId: string,
  prices: ModelPrice,
  tier: ServedTier,
): { prices: ModelPrice; used: ExtraRate[]; unpricedTier: boolean } {
  let out = prices;
  const used: ExtraRate[] = [];
  let tierPriced = tier === "standard";
  for (const entry of ORDERED) {
    if (entry.provider !== provider) continue;
    if (!entry.models.includes("*") && !entry.models.includes(modelId)) continue;
    if (entry.tier !== undefined && entry.tier !== tier) continue;
    if (entry.tier === undefined && entry.prices) {
      const added: ModelPrice = { ...out };
      let changed = false;
      for (const [k, v] of Object.entries(entry.prices)) {
        if (added[k] === undefined) {
          added[k] = v;
          changed = true;
        }
      }
      if (!changed) continue;
      out = added;
    } else if (entry.tier !== undefined) {
      if (tierPriced && entry.models.includes("*")) continue;
      out = entry.prices ? { ...out, ...entry.prices } : out;
      if (entry.tokenMultiplier !== undefined) out = scaleTokens(out, entry.tokenMultiplier);
      tierPriced = true;
    }
    used.push(entry);
  }
  return { prices: out, used, unpricedTier: !tierPriced };
}

function scaleTokens(prices: ModelPrice, factor: number): ModelPrice {
  const out: ModelPrice = {};
  for (const [k, v] of Object.entries(prices)) {
    if (v === undefined || !k.endsWith("_mtok")) out[k] = v;
    else if (typeof v === "number") out[k] = v * factor;
    else
      out[k] = {
        base: v.base * factor,
        tiers: v.tiers.map((t) => ({ start: t.start, price: t.price * factor })),
      };
  }
  return out;
}
