import type { TokenUsage } from "../../types.js";

/** A token count as a provider should send it: a finite, non-negative number; anything else is no count. */
export function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Bedrock's shapes all count input WITHOUT cache reads and writes, reported beside it; UsageEvent's
 * inputTokens includes them. Uncached input + cache buckets → the inclusive normal form, once. `previous`
 * fills buckets a partial report omits.
 */
export function withCache(
  uncached: number | undefined,
  read: number | undefined,
  write: number | undefined,
  previous?: TokenUsage,
): Partial<TokenUsage> {
  if (uncached === undefined) return {};
  const cacheReadTokens = read ?? previous?.cacheReadTokens ?? 0;
  const cacheWriteTokens = write ?? previous?.cacheWriteTokens ?? 0;
  return { inputTokens: uncached + cacheReadTokens + cacheWriteTokens, cacheReadTokens, cacheWriteTokens };
}
