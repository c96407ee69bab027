import type { TokenUsage } from "../../types.js";

/**
 * Chat Completions `usage` ({prompt_tokens, completion_tokens, prompt_tokens_details, completion_tokens_details}).
 * OpenAI counts prompt tokens INCLUSIVE of cached ones and completion tokens inclusive of reasoning ones: the
 * same convention as UsageEvent, so they map one to one.
 */
export function chatUsage(u: any): Partial<TokenUsage> {
  return {
    inputTokens: u.prompt_tokens ?? 0,
    outputTokens: u.completion_tokens ?? 0,
    cacheReadTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}
