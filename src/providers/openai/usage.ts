import type { TokenUsage } from "../../types.js";

// OpenAI reports prompt/input tokens INCLUSIVE of cached tokens, and completion/output tokens inclusive of
// reasoning tokens: the same convention as UsageEvent, so these map one to one.

export function chatUsage(u: any): Partial<TokenUsage> {
  return {
    inputTokens: u.prompt_tokens ?? 0,
    outputTokens: u.completion_tokens ?? 0,
    cacheReadTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

export function responsesUsage(u: any): Partial<TokenUsage> {
  return {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    cacheReadTokens: u.input_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: u.output_tokens_details?.reasoning_tokens ?? 0,
  };
}

export function embeddingsUsage(u: any): Partial<TokenUsage> {
  return { inputTokens: u.prompt_tokens ?? 0 };
}
