import type { TokenUsage } from "../../types.js";
import { servedTier } from "./served-tier.js";

/**
 * Chat Completions `usage` ({prompt_tokens, completion_tokens, prompt_tokens_details, completion_tokens_details}).
 * OpenAI counts prompt tokens INCLUSIVE of cached, cache-written and audio ones, and completion tokens inclusive
 * of reasoning and audio ones: the same convention as UsageEvent, so they map one to one. `serviceTier` is the
 * response's (or chunk's) `service_tier`: the tier that served the call, which may differ from the one asked.
 */
export function chatUsage(u: any, serviceTier?: unknown): Partial<TokenUsage> {
  const out: Partial<TokenUsage> = {
    inputTokens: u.prompt_tokens ?? 0,
    outputTokens: u.completion_tokens ?? 0,
    cacheReadTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: u.prompt_tokens_details?.cache_write_tokens ?? 0,
    reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
  };
  const audioIn = u.prompt_tokens_details?.audio_tokens;
  const audioOut = u.completion_tokens_details?.audio_tokens;
  if (audioIn) out.audioInputTokens = audioIn;
  if (audioOut) out.audioOutputTokens = audioOut;
  const tier = servedTier(serviceTier);
  if (tier) out.serviceTier = tier;
  return out;
}
