import {
  calcPrice,
  type ModelInfo,
  type ModelPrice,
  type Provider,
  type Usage,
} from "@pydantic/genai-prices";
import type { PricedUsage } from "./usage.js";

/**
 * genai-prices' `calcPrice` re-validates its whole unit lattice on every call (≈10–30 µs). For models priced only
 * in the token buckets we report, its arithmetic reduces to a few multiplications. A plan replays exactly
 * that arithmetic, in genai-prices' operation order, so the float result is bit-identical; each plan is
 * checked against `calcPrice` once when compiled and dropped (falling back to `calcPrice`) on any mismatch.
 */
export interface FastPlan {
  /** Price variants in table order, selected as genai-prices does (last whose start date has passed). */
  variants: Variant[];
}

interface Variant {
  /** Start date in ms; -Infinity for an unconstrained variant. */
  fromMs: number;
  terms: Term[];
  /** Priced cache buckets are carved out of input_tokens; unpriced ones stay billed as input. */
  carvesCacheRead: boolean;
  carvesCacheWrite: boolean;
}

type Bucket = "input" | "output" | "cacheRead" | "cacheWrite";

interface Term {
  bucket: Bucket;
  price: number | Tiered;
}

interface Tiered {
  base: number;
  /** Ascending by start. */
  tiers: { start: number; price: number }[];
}

/**
 * Price keys a plan understands. `null`: a unit we never report (0 usage), whose term is 0 and which has no
 * reported descendant to carve from; genai-prices adds it as +0, a no-op. (TokenUsage has no 1-hour cache
 * write bucket, so Anthropic 1h cache writes are billed at the 5-minute `cache_write_mtok` rate either way.)
 */
const PRICE_KEYS = new Map<string, Bucket | null>([
  ["input_mtok", "input"],
  ["output_mtok", "output"],
  ["cache_read_mtok", "cacheRead"],
  ["cache_write_mtok", "cacheWrite"],
  ["cache_write_1h_mtok", null],
  ["web_searches_kcount", null],
  ["storage_searches_kcount", null],
]);

/** A verified plan for `model`, or null when only `calcPrice` can price it. */
export function compilePlan(model: ModelInfo, provider: Provider): FastPlan | null {
  const entries = Array.isArray(model.prices) ? model.prices : [{ prices: model.prices }];
  const variants: Variant[] = [];
  for (const { constraint, prices } of entries) {
    let fromMs = Number.NEGATIVE_INFINITY;
    if (constraint !== undefined) {
      // Time-of-day prices are rare; left to calcPrice.
      if (constraint.type !== "start_date") return null;
      fromMs = new Date(constraint.start_date).getTime();
      if (Number.isNaN(fromMs)) return null;
    }
    const variant = compileVariant(prices, fromMs);
    if (!variant || !matchesCalcPrice(variant, prices, model, provider)) return null;
    variants.push(variant);
  }
  return variants.length ? { variants } : null;
}

/** USD for `usage` at `tsMs`, bit-identical to `calcPrice(…).total_price`. */
export function planUsd(plan: FastPlan, usage: PricedUsage, tsMs: number): number {
  const { variants } = plan;
  let variant = variants[0]!;
  if (variants.length > 1) {
    for (let i = variants.length - 1; i >= 0; i--) {
      if (tsMs >= variants[i]!.fromMs) {
        variant = variants[i]!;
        break;
      }
    }
  }
  return variantUsd(variant, usage);
}

function variantUsd(variant: Variant, usage: PricedUsage): number {
  let input = 0;
  let output = 0;
  for (const { bucket, price } of variant.terms) {
    const usd = termUsd(price, bucketTokens(variant, usage, bucket), usage.input);
    if (bucket === "output") output += usd;
    else input += usd;
  }
  return input + output;
}

/** genai-prices' per-unit formula, operation for operation (tiered prices go per-token and back). */
function termUsd(price: number | Tiered, tokens: number, inputTokens: number): number {
  if (typeof price === "number") return (price * tokens) / 1e6;
  if (tokens <= 0) return 0;
  return (((tierPrice(price, inputTokens) * tokens) / 1e6) * 1e6) / 1e6;
}

function bucketTokens(variant: Variant, usage: PricedUsage, bucket: Bucket): number {
  switch (bucket) {
    case "input":
      return (
        usage.input -
        (variant.carvesCacheRead ? usage.cacheRead : 0) -
        (variant.carvesCacheWrite ? usage.cacheWrite : 0)
      );
    case "output":
      return usage.output;
    case "cacheRead":
      return usage.cacheRead;
    case "cacheWrite":
      return usage.cacheWrite;
  }
}

/** The tier is chosen by the call's total input tokens (cache included) and applies to all of its tokens. */
function tierPrice(price: Tiered, inputTokens: number): number {
  let p = price.base;
  for (const tier of price.tiers) if (inputTokens > tier.start) p = tier.price;
  return p;
}

function compileVariant(prices: ModelPrice, fromMs: number): Variant | null {
  const terms: Term[] = [];
  let carvesCacheRead = false;
  let carvesCacheWrite = false;
  for (const [key, value] of Object.entries(prices)) {
    if (value === undefined) continue;
    const bucket = PRICE_KEYS.get(key);
    if (bucket === undefined) return null;
    const price = toPrice(value);
    if (price === null) return null;
    if (bucket === null) continue;
    if (bucket === "cacheRead") carvesCacheRead = true;
    if (bucket === "cacheWrite") carvesCacheWrite = true;
    terms.push({ bucket, price });
  }
  return { fromMs, terms, carvesCacheRead, carvesCacheWrite };
}

function toPrice(value: unknown): number | Tiered | null {
  if (isPrice(value)) return value;
  if (typeof value !== "object" || value === null) return null;
  const { base, tiers } = value as { base?: unknown; tiers?: unknown };
  if (!isPrice(base) || !Array.isArray(tiers)) return null;
  const out: Tiered["tiers"] = [];
  for (const tier of tiers as { start?: unknown; price?: unknown }[]) {
    if (typeof tier !== "object" || tier === null) return null;
    if (!Number.isSafeInteger(tier.start) || (tier.start as number) < 0 || !isPrice(tier.price)) return null;
    out.push({ start: tier.start as number, price: tier.price });
  }
  return { base, tiers: out.sort((a, b) => a.start - b.start) };
}

function isPrice(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

/** Usages that exercise every bucket, on both sides of every tier seen in the data (≤ 1M tokens). */
const PROBES: PricedUsage[] = [
  { input: 1_234_567, output: 76_543, cacheRead: 234_567, cacheWrite: 12_345, reasoning: 0 },
  { input: 99_999, output: 4_321, cacheRead: 7_777, cacheWrite: 333, reasoning: 0 },
  { input: 17, output: 3, cacheRead: 5, cacheWrite: 7, reasoning: 0 },
  { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
];

function matchesCalcPrice(
  variant: Variant,
  prices: ModelPrice,
  model: ModelInfo,
  provider: Provider,
): boolean {
  const probe: Provider = {
    id: provider.id,
    name: provider.name,
    api_pattern: provider.api_pattern,
    models: [{ id: model.id, match: { equals: "probe" }, prices }],
  };
  try {
    for (const u of PROBES) {
      const usage: Usage = {
        input_tokens: u.input,
        output_tokens: u.output,
        cache_read_tokens: u.cacheRead,
        cache_write_tokens: u.cacheWrite,
      };
      const expected = calcPrice(usage, "probe", { provider: probe })?.total_price;
      if (!Object.is(expected, variantUsd(variant, u))) return false;
    }
    return true;
  } catch {
    return false;
  }
}
