import { calcPrice, type ModelInfo, type ModelPrice, type Provider } from "@pydantic/genai-prices";
import type { CostBreakdown, CostDimension } from "../types.js";
import { applyExtraRates, EXTRA_RATES_DATE, type ServedTier } from "./extra-rates.js";
import {
  agreesWithCalcPrice,
  compileExact,
  type ExactPlan,
  exactNanos,
  exactPicos,
  toNanos,
} from "./plan.js";
import { genaiPriceSource, priceDataGeneration } from "./price-data.js";
import { toPriceModelName } from "./provider-map.js";
import { type PricedUsage, toGenaiUsage } from "./usage.js";

/** A (provider, model) pair resolved once against genai-prices' active data. */
export interface TableEntry {
  /** The genai-prices provider id, e.g. "azure" even when Azure's fallback table (openai) held the model. */
  providerId: string;
  /** The name as looked up (after Bedrock ARN trimming). */
  lookupName: string;
  /** genai-prices' model id, e.g. "claude-sonnet-4-5" for "claude-sonnet-4-5-20250929". */
  modelId: string;
  info: ModelInfo;
  provider: Provider;
  /** Start-date variants in table order, or null when one has a time-of-day constraint (calcPrice selects). */
  variants: { fromMs: number; prices: ModelPrice }[] | null;
  /** Compiled prices per (variant, served tier). */
  compiled: Map<string, CompiledPrice>;
  /** The last of `compiled` asked for, with its variant and tier: the per-call answer without building a key. */
  last?: { variant: number; tier: ServedTier; compiled: CompiledPrice } | undefined;
}

interface CompiledPrice {
  prices: ModelPrice;
  /** Exact integer plan, or null: calcPrice prices each call (float, rounded to pico-USD). */
  plan: ExactPlan | null;
  /** Pinned one-model provider with `prices`, for calcPrice. */
  pinned: Provider;
  source: string;
  unpricedTier: boolean;
}

export interface TableCost {
  costNanos: number;
  breakdown: CostBreakdown;
  /** `genai-prices@x.y.z`, plus `+table:<date>` when one of our extra rates applied. */
  priceSource: string;
  /** The served tier had no rate of its own: priced at the standard rate. */
  unpricedTier: boolean;
}

// Bounds memory if model names are unbounded (e.g. generated fine-tune ids); a refill costs one lookup each.
const MAX_ENTRIES = 2000;
// Any valid date: resolution does not depend on it, it only keeps calcPrice from calling `new Date()`.
const EPOCH = new Date(0);

export class PriceTable {
  readonly #entries = new Map<string, Map<string, TableEntry | null>>();
  readonly #derived = new Map<string, CompiledPrice>();
  #size = 0;
  #generation = priceDataGeneration();

  /** Forgets every resolved entry (new price data). */
  clear(): void {
    this.#entries.clear();
    this.#derived.clear();
    this.#size = 0;
  }

  /** The table entry for `model` under genai-prices provider `providerId`, or null if unpriced. Memoized. */
  lookup(providerId: string, model: string): TableEntry | null {
    const generation = priceDataGeneration();
    if (generation !== this.#generation) {
      this.#generation = generation;
      this.clear();
    }
    let byModel = this.#entries.get(providerId);
    const cached = byModel?.get(model);
    if (cached !== undefined) return cached;
    if (this.#size >= MAX_ENTRIES) {
      this.clear();
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

  /** The cost in nano-USD with its breakdown; null if it cannot be priced. Never throws. */
  cost(
    entry: TableEntry,
    usage: PricedUsage,
    ts: Date | string | number,
    tier: ServedTier,
  ): TableCost | null {
    try {
      // One price variant (most models): no date is needed unless calcPrice prices the call.
      const single = entry.variants !== null && entry.variants.length === 1;
      const date = single ? undefined : toDate(ts);
      const variant = date === undefined ? 0 : selectVariant(entry, date);
      if (variant < 0) return null;
      const compiled = compiledFor(entry, variant, tier);
      const { costNanos, breakdown } = compiled.plan
        ? (exactCost(compiled.plan, usage) ?? calcPriceCost(entry, compiled, usage, date ?? toDate(ts)))
        : calcPriceCost(entry, compiled, usage, date ?? toDate(ts));
      return { costNanos, breakdown, priceSource: compiled.source, unpricedTier: compiled.unpricedTier };
    } catch {
      // Only malformed price data gets here (usage is already consistent): treat as unpriced, never throw.
      return null;
    }
  }

  /**
   * Prices `usage` at prices derived from the table (overrides): `build` runs once per `key` (it must name
   * everything the prices depend on); the plan is cached with the entries and dropped with them.
   */
  costWith(
    key: string,
    build: () => { prices: ModelPrice; source: string },
    usage: PricedUsage,
  ): { costNanos: number; breakdown: CostBreakdown; priceSource: string } | null {
    try {
      let compiled = this.#derived.get(key);
      if (!compiled) {
        if (this.#derived.size >= MAX_ENTRIES) this.#derived.clear();
        const { prices, source } = build();
        const pinned: Provider = {
          id: "override",
          name: "override",
          api_pattern: "",
          models: [{ id: "override", match: { equals: "override" }, prices }],
        };
        let plan = compileExact(prices);
        if (plan && !agreesWithCalcPrice(plan, prices, pinned)) plan = null;
        compiled = { prices, plan, pinned, source, unpricedTier: false };
        this.#derived.set(key, compiled);
      }
      const exact = compiled.plan ? exactCost(compiled.plan, usage) : null;
      const cost = exact ?? calcPriceCost(OVERRIDE_ENTRY, compiled, usage, EPOCH);
      return { ...cost, priceSource: compiled.source };
    } catch {
      return null;
    }
  }

  /** The prices a call at `ts` in `tier` is billed at (for `costtrail prices`). */
  pricesAt(entry: TableEntry, ts: Date | string | number, tier: ServedTier = "standard"): ModelPrice | null {
    const variant = selectVariant(entry, toDate(ts));
    return variant < 0 ? null : compiledFor(entry, variant, tier).prices;
  }

  /** The variant index in force at `ts` (part of cache keys for prices derived from it). */
  variantAt(entry: TableEntry, ts: Date | string | number): number {
    return selectVariant(entry, toDate(ts));
  }
}

/** calcPrice's model name for derived prices (pinned to a one-model "override" provider). */
const OVERRIDE_ENTRY = { lookupName: "override" } as TableEntry;

function exactCost(plan: ExactPlan, usage: PricedUsage) {
  // The per-call case in plain integers; anything beyond safe integers takes the general path (BigInt).
  const fast = exactNanos(plan, usage);
  if (fast !== undefined) return fast;
  const picos = exactPicos(plan, usage);
  return picos ? toNanos(picos) : null;
}

function calcPriceCost(
  entry: TableEntry,
  compiled: CompiledPrice,
  usage: PricedUsage,
  date: Date,
): { costNanos: number; breakdown: CostBreakdown } {
  const result = calcPrice(toGenaiUsage(usage), entry.lookupName, {
    provider: compiled.pinned,
    timestamp: date,
  });
  if (!result) throw new Error("unpriced");
  // calcPrice's floats, to whole pico-USD; the total rounded up once and split as the exact path splits it.
  const input = Math.round(result.input_price * 1e12);
  const output = Math.round(result.output_price * 1e12);
  const other = Math.max(0, Math.round(result.total_price * 1e12) - input - output);
  const picos = new Map<CostDimension, number>();
  if (input) picos.set("input", input);
  if (output) picos.set("output", output);
  if (other) picos.set("other", other);
  return toNanos(picos);
}

/** Index of the price variant in force at `date`, as genai-prices chooses it (last whose start has passed). */
function selectVariant(entry: TableEntry, date: Date): number {
  const { variants } = entry;
  if (variants) {
    if (variants.length === 1) return 0;
    const ms = date.getTime();
    for (let i = variants.length - 1; i >= 0; i--) if (ms >= variants[i]!.fromMs) return i;
    return 0;
  }
  // Time-of-day prices: ask calcPrice which variant applies (it returns the very price object).
  const chosen = calcPrice({}, entry.lookupName, { provider: entry.provider, timestamp: date })?.model_price;
  const list = Array.isArray(entry.info.prices) ? entry.info.prices : [];
  return list.findIndex((v) => v.prices === chosen);
}

function compiledFor(entry: TableEntry, variant: number, tier: ServedTier): CompiledPrice {
  const { last } = entry;
  if (last !== undefined && last.variant === variant && last.tier === tier) return last.compiled;
  const key = `${variant}|${tier}`;
  let compiled = entry.compiled.get(key);
  if (compiled) {
    entry.last = { variant, tier, compiled };
    return compiled;
  }
  const base = Array.isArray(entry.info.prices) ? entry.info.prices[variant]!.prices : entry.info.prices;
  const { prices, used, unpricedTier } = applyExtraRates(entry.providerId, entry.modelId, base, tier);
  const pinned = pin(entry, prices);
  let plan = compileExact(prices);
  if (plan && !agreesWithCalcPrice(plan, prices, entry.provider)) plan = null;
  const newest = used
    .map((e) => e.date)
    .sort()
    .at(-1);
  const source = used.length
    ? `${genaiPriceSource()}+table:${newest ?? EXTRA_RATES_DATE}`
    : genaiPriceSource();
  compiled = { prices, plan, pinned, source, unpricedTier };
  entry.compiled.set(key, compiled);
  entry.last = { variant, tier, compiled };
  return compiled;
}

function pin(entry: TableEntry, prices: ModelPrice): Provider {
  return {
    id: entry.provider.id,
    name: entry.provider.name,
    api_pattern: entry.provider.api_pattern,
    models: [{ ...entry.info, prices, match: { equals: entry.lookupName.trim().toLowerCase() } }],
  };
}

/** The entry for one model of the data, by its own id (no name matching): for listing the catalog. */
export function entryOf(provider: Provider, info: ModelInfo): TableEntry {
  return {
    providerId: provider.id,
    lookupName: info.id,
    modelId: info.id,
    info,
    provider: {
      id: provider.id,
      name: provider.name,
      api_pattern: provider.api_pattern,
      models: [{ ...info, match: { equals: info.id.trim().toLowerCase() } }],
    },
    variants: variantsOf(info),
    compiled: new Map(),
  };
}

/** The price source of `entry`'s prices at `ts` in `tier`. */
export function sourceAt(entry: TableEntry, ts: Date, tier: ServedTier = "standard"): string | null {
  const variant = selectVariant(entry, ts);
  return variant < 0 ? null : compiledFor(entry, variant, tier).source;
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
    modelId: info.id,
    info,
    provider: pinned,
    variants: variantsOf(info),
    compiled: new Map(),
  };
}

function variantsOf(info: ModelInfo): TableEntry["variants"] {
  if (!Array.isArray(info.prices)) return [{ fromMs: Number.NEGATIVE_INFINITY, prices: info.prices }];
  const out: NonNullable<TableEntry["variants"]> = [];
  for (const { constraint, prices } of info.prices) {
    if (constraint === undefined) out.push({ fromMs: Number.NEGATIVE_INFINITY, prices });
    else if (constraint.type === "start_date") {
      const ms = new Date(constraint.start_date).getTime();
      if (Number.isNaN(ms)) return null;
      out.push({ fromMs: ms, prices });
    } else return null;
  }
  return out;
}

export function toDate(ts: Date | string | number): Date {
  const date = typeof ts === "object" ? ts : new Date(ts);
  // An unparseable timestamp makes genai-prices throw on dated prices; today's price beats no price.
  return Number.isNaN(date.getTime()) ? new Date() : date;
}
