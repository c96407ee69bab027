import type { TokenUsage } from "../../types.js";

/** Responses API `usage` ({input_tokens, output_tokens, *_details}): inclusive counts, as UsageEvent's. */
export function responsesUsage(u: any): Partial<TokenUsage> {
  return {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    cacheReadTokens: u.input_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: u.output_tokens_details?.reasoning_tokens ?? 0,
  };
}
