import { calcPrice } from "@pydantic/genai-prices";
import { vi } from "vitest";
import type { Logger, TokenUsage } from "../../src/types.js";

export function usage(parts: Partial<TokenUsage>): TokenUsage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    ...parts,
  };
}

/** What genai-prices itself says, in nano-USD, straight from its public API: the reference table costs equal. */
export function genaiNanos(model: string, providerId: string, u: TokenUsage, ts: string): number {
  const result = calcPrice(
    {
      input_tokens: u.inputTokens,
      output_tokens: u.outputTokens,
      cache_read_tokens: u.cacheReadTokens,
      cache_write_tokens: u.cacheWriteTokens,
      ...(u.reasoningTokens > 0 ? { output_reasoning_tokens: u.reasoningTokens } : {}),
    },
    model,
    { providerId, timestamp: new Date(ts) },
  );
  if (!result) throw new Error(`genai-prices has no price for ${providerId}/${model}`);
  return Math.round(result.total_price * 1e9);
}

/** genai-prices' figure as costtrail's derived micro-USD: rounded up, so no cost vanishes. */
export function genaiMicros(model: string, providerId: string, u: TokenUsage, ts: string): number {
  return Math.ceil(genaiNanos(model, providerId, u, ts) / 1000);
}

export function spyLogger() {
  return { warn: vi.fn(), error: vi.fn() } satisfies Logger;
}
