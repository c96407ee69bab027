import type { ServerToolCalls, TokenUsage } from "../../types.js";
import { servedTier } from "./served-tier.js";

/** Output item types of the Responses API that OpenAI bills per call, by the dimension they bill under. */
const TOOL_ITEMS: Record<string, keyof ServerToolCalls> = {
  web_search_call: "webSearch",
  file_search_call: "fileSearch",
  code_interpreter_call: "codeExecution",
};

/** Billed server tool calls among a response's `output` items. */
export function responsesToolCalls(output: unknown): ServerToolCalls | undefined {
  if (!Array.isArray(output)) return undefined;
  let out: ServerToolCalls | undefined;
  for (const item of output) {
    const kind = TOOL_ITEMS[item?.type];
    if (!kind) continue;
    out ??= {};
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

/**
 * A Responses API object's usage ({input_tokens, output_tokens, *_details}: inclusive counts, as UsageEvent's),
 * with what the response says beside it: the served `service_tier` and its server tool calls (`output` items).
 */
export function responsesUsage(u: any, response?: any): Partial<TokenUsage> {
  const out: Partial<TokenUsage> = {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    cacheReadTokens: u.input_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: u.input_tokens_details?.cache_write_tokens ?? 0,
    reasoningTokens: u.output_tokens_details?.reasoning_tokens ?? 0,
  };
  const tier = servedTier(response?.service_tier);
  if (tier) out.serviceTier = tier;
  const tools = responsesToolCalls(response?.output);
  if (tools) out.serverToolCalls = tools;
  return out;
}
