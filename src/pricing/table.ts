import { calcPrice, type PriceOptions, type Provider, type Usage } from "@pydantic/genai-prices";
import { compilePlan, type FastPlan, planUsd } from "./fast-path.js";
import { toPriceModelName } from "./provider-map.js";
import type { PricedUsage } from "./usage.js";

/** A (provider, model) pair resolved once against genai-prices' bundled data. */
export interface TableEntry {
  /** The genai-prices provider id looked up, e.g. "azure" even when Azure's fallback table (openai) held it. */
  providerId: string;
  /** The name as looked up (after Bedrock ARN trimming). */
  lookupName: string;
  /**
   * `calcPrice` options naming a one-model provider that matches `lookupName` exactly: pricing then skips
   * genai-prices' scan of the provider's whole model list (dozens of case-insensitive matchers, some regexes)
   * while computing with the same model prices, so results are identical to a `providerId` lookup.
   */
  options: PriceOptions;
  /** The model has start-date / time-of-day price variants, so the call's timestamp must be passed. */
  dated: boolean;
  /** Replays calcPrice's arithmetic without its per-call validation; null → calcPrice prices each call. */
  plan: FastPlan | null;
}

// Bounds memory if model names are unbounded (e.g. generated fine-tune ids); a refill costs one lookup each.
const MAX_ENTRIES = 2000;
// Any valid date: resolution does not depend on it, it only keeps calcPrice from calling `new Date()`.
const EPOCH = new Date(0);

export class PriceTable {
  readonly #entries = new Map<string, Map<string, TableEntry | null>>();
  #size = 0;

  /** The table entry for `model` under genai-prices provider `providerId`, or null if unpriced. Memoized. */
  lookup(providerId: string, model: string): TableEntry | null {
    let byModel = this.#entries.get(providerId);
    const cached = byModel?.get(model);
    if (cached !== undefined) return cached;
    if (this.#size >= MAX_ENTRIES) {
      this.#entries.clear();
      this.#size = 0;
      byModel = undefined;
    }
    if (!byModel) {
      byModel = new Map();
      this.#entries.set(providerId, byModel);
    }
    const entry = resolve(providerId, model);
    byModel.set(model, entry);
    this.#size++;
    return entry;
  }

  /** Cost in integer micro-USD, exactly `Math.round(calcPrice(…).total_price * 1e6)`; null if it cannot be priced. */
  costMicros(entry: TableEntry, usage: PricedUsage, ts: Date | string): number | null {
    const usd = this.usd(entry, usage, ts);
    return usd === null ? null : Math.round(usd * 1e6);
  }

  /** `calcPrice(…).total_price` (bit-identical); null if it cannot be priced. */
  usd(entry: TableEntry, usage: PricedUsage, ts: Date | string): number | null {
    if (entry.plan) return planUsd(entry.plan, usage, entry.dated ? toDate(ts).getTime() : 0);
    const options = entry.dated ? { ...entry.options, timestamp: toDate(ts) } : entry.options;
    try {
      return calcPrice(toGenaiUsage(usage), entry.lookupName, options)?.total_price ?? null;
    } catch {
      // Only malformed price data gets here (usage is already consistent): treat as unpriced, never throw.
      return null;
    }
  }
}

function resolve(providerId: string, model: string): TableEntry | null {
  const lookupName = toPriceModelName(providerId, model);
  let found: ReturnType<typeof calcPrice>;
  try {
    // calcPrice is the resolver, so matching (fallback providers such as azure → openai, dated-name
    // normalisation) is exactly genai-prices'. Empty usage: only the match is wanted here.
    found = calcPrice({}, lookupName, { providerId, timestamp: EPOCH });
  } catch {
    found = null;
  }
  if (!found) return null;
  const { provider, model: info } = found;
  const pinned: Provider = {
    id: provider.id,
    name: provider.name,
    api_pattern: provider.api_pattern,
    models: [{ ...info, match: { equals: lookupName.trim().toLowerCase() } }],
  };
  return {
    providerId: provider.id,
    lookupName,
    options: { provider: pinned, timestamp: EPOCH },
    dated: Array.isArray(info.prices),
    plan: compilePlan(info, provider),
  };
}

/**
 * genai-prices' `input_tokens` and `output_tokens` are totals that include their cache / reasoning parts
 * (it subtracts the separately priced parts itself), the same convention as TokenUsage.
 */
function toGenaiUsage(usage: PricedUsage): Usage {
  const out: Usage = {
    input_tokens: usage.input,
    output_tokens: usage.output,
    cache_read_tokens: usage.cacheRead,
    cache_write_tokens: usage.cacheWrite,
  };
  // Only models with a reasoning price (few) split it out; for the rest it stays billed as output.
  if (usage.reasoning > 0) out.output_reasoning_tokens = usage.reasoning;
  return out;
}

function toDate(ts: Date | string): Date {
  const date = typeof ts === "string" ? new Date(ts) : ts;
  // An unparseable timestamp makes genai-prices throw on dated prices; today's price beats no price.
  return Number.isNaN(date.getTime()) ? new Date() : date;
}
