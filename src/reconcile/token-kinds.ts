import type { PriceInput, Pricer } from "../pricing/index.js";
import type { TokenUsage } from "../types.js";
import { splitProportionally } from "./proportional.js";

/** The SKU meters of a model call: what a provider bills each token as. */
export const TOKEN_KINDS = ["input", "cache_read", "cache_write", "output"] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export type ByKind = Record<TokenKind, number>;

export function zeroByKind(): ByKind {
  return { input: 0, cache_read: 0, cache_write: 0, output: 0 };
}

/** Tokens per meter: uncached input, cache reads, cache writes, output (reasoning included). */
export function tokensByKind(usage: TokenUsage): ByKind {
  const cacheRead = Math.max(0, usage.cacheReadTokens);
  const cacheWrite = Math.max(0, usage.cacheWriteTokens);
  return {
    input: Math.max(0, usage.inputTokens - cacheRead - cacheWrite),
    cache_read: cacheRead,
    cache_write: cacheWrite,
    output: Math.max(0, usage.outputTokens),
  };
}

/**
 * Integer micro-USD per meter whose sum is exactly the price of the whole usage: each meter is priced as
 * the increment it adds (uncached input, then + cache reads, then + cache writes, then + output), so the
 * increments telescope to the total and no micro-dollar is lost or invented. Null when the model is unpriced.
 */
export function costNanosByKind(pricer: Pricer, input: PriceInput): ByKind | null {
  const u = input.usage;
  const t = tokensByKind(u);
  const steps: TokenUsage[] = [
    { inputTokens: t.input, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    {
      inputTokens: t.input + t.cache_read,
      outputTokens: 0,
      cacheReadTokens: t.cache_read,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    {
      inputTokens: t.input + t.cache_read + t.cache_write,
      outputTokens: 0,
      cacheReadTokens: t.cache_read,
      cacheWriteTokens: t.cache_write,
      reasoningTokens: 0,
    },
    u,
  ];
  const totals: number[] = [];
  for (const usage of steps) {
    const nanos = pricer.price({ ...input, usage }).costNanos;
    if (nanos === null) return null;
    totals.push(nanos);
  }
  return {
    input: totals[0]!,
    cache_read: totals[1]! - totals[0]!,
    cache_write: totals[2]! - totals[1]!,
    output: totals[3]! - totals[2]!,
  };
}

/**
 * Splits an exact integer `total` over meters in proportion to `weights`, so the parts sum to `total`
 * exactly. With no positive weight, everything goes to the first meter that has tokens (or "input").
 */
export function splitByWeights(total: number, weights: ByKind, tokens: ByKind): ByKind {
  const out = zeroByKind();
  const parts = splitProportionally(
    total,
    TOKEN_KINDS.map((k) => weights[k]),
  );
  if (parts === null) out[TOKEN_KINDS.find((k) => tokens[k] > 0) ?? "input"] = total;
  else {
    TOKEN_KINDS.forEach((k, i) => {
      out[k] = parts[i]!;
    });
  }
  return out;
}
