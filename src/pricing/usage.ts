import type { TokenUsage } from "../types.js";

/** Token counts as priced: whole, non-negative, and consistent (buckets never exceed the totals holding them). */
export interface PricedUsage {
  /** Inclusive of cacheRead and cacheWrite. */
  input: number;
  /** Inclusive of reasoning. */
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

function count(n: number): number {
  // `n > 0` is false for NaN; Infinity is rejected too, since no price can be put on it.
  if (!(n > 0) || n === Number.POSITIVE_INFINITY) return 0;
  return Number.isInteger(n) ? n : Math.round(n);
}

/**
 * Cleans what a provider reported before pricing. A bucket larger than its total is an extraction bug
 * upstream; genai-prices throws on it, so the total is raised to the bucket (never under-counting) instead.
 */
export function toPricedUsage(usage: TokenUsage): PricedUsage {
  const cacheRead = count(usage.cacheReadTokens);
  const cacheWrite = count(usage.cacheWriteTokens);
  const reasoning = count(usage.reasoningTokens);
  return {
    input: Math.max(count(usage.inputTokens), cacheRead + cacheWrite),
    output: Math.max(count(usage.outputTokens), reasoning),
    cacheRead,
    cacheWrite,
    reasoning,
  };
}
