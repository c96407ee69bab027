import type { TokenUsage } from "../../types.js";

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * LangChain's `UsageMetadata`: `input_tokens` is the sum of all input token types (cache reads and writes
 * included — @langchain/anthropic adds them up), with `input_token_details.cache_read` / `cache_creation` as
 * breakdowns; `output_tokens` includes `output_token_details.reasoning`. That is UsageEvent's normal form.
 */
export function usageMetadataUsage(u: any): Partial<TokenUsage> | undefined {
  const input = count(u?.input_tokens);
  const output = count(u?.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  const out: Partial<TokenUsage> = { inputTokens: input ?? 0, outputTokens: output ?? 0 };
  const read = count(u?.input_token_details?.cache_read);
  const write = count(u?.input_token_details?.cache_creation);
  const reasoning = count(u?.output_token_details?.reasoning);
  if (read !== undefined) out.cacheReadTokens = read;
  if (write !== undefined) out.cacheWriteTokens = write;
  if (reasoning !== undefined) out.reasoningTokens = reasoning;
  const audioIn = count(u?.input_token_details?.audio);
  const audioOut = count(u?.output_token_details?.audio);
  if (audioIn) out.audioInputTokens = audioIn;
  if (audioOut) out.audioOutputTokens = audioOut;
  return out;
}

function text(value: unknown): string | undefined {
  // The standard tier's names: an absent serviceTier means it.
  return typeof value === "string" && !["", "auto", "default", "standard"].includes(value)
    ? value
    : undefined;
}

/**
 * What UsageMetadata drops but the bill has, from the provider's raw usage that the integrations keep in
 * `response_metadata.usage` (@langchain/anthropic: `cache_creation` by TTL, `server_tool_use`, `service_tier`;
 * @langchain/openai: `prompt_tokens_details.cache_write_tokens`) and the served tier (`response_metadata` or
 * the generation's `generationInfo.service_tier`).
 */
function billedExtras(message: any, generation: any): Partial<TokenUsage> {
  const out: Partial<TokenUsage> = {};
  const raw = message?.response_metadata?.usage;
  const w1h = count(raw?.cache_creation?.ephemeral_1h_input_tokens);
  if (w1h) out.cacheWrite1hTokens = w1h;
  const webSearch = count(raw?.server_tool_use?.web_search_requests);
  const webFetch = count(raw?.server_tool_use?.web_fetch_requests);
  if (webSearch || webFetch) {
    out.serverToolCalls = {};
    if (webSearch) out.serverToolCalls.webSearch = webSearch;
    if (webFetch) out.serverToolCalls.webFetch = webFetch;
  }
  const openaiWrite = count(raw?.prompt_tokens_details?.cache_write_tokens);
  if (openaiWrite) out.cacheWriteTokens = openaiWrite;
  const tier =
    text(raw?.service_tier) ??
    text(message?.response_metadata?.service_tier) ??
    text(generation?.generationInfo?.service_tier);
  if (tier) out.serviceTier = tier;
  return out;
}

/** `llmOutput.tokenUsage` (or `estimatedTokenUsage`): `{ promptTokens, completionTokens }`, no cache detail. */
function tokenUsage(t: any): Partial<TokenUsage> | undefined {
  const input = count(t?.promptTokens);
  const output = count(t?.completionTokens);
  if (input === undefined && output === undefined) return undefined;
  return { inputTokens: input ?? 0, outputTokens: output ?? 0 };
}

/** The run's first generation. */
function firstGeneration(output: any): any {
  const generations = output?.generations;
  return Array.isArray(generations) && Array.isArray(generations[0]) ? generations[0][0] : undefined;
}

/** The generation's message, where chat models put `usage_metadata` and `response_metadata`. */
function firstMessage(output: any): any {
  return firstGeneration(output)?.message;
}

/**
 * Usage of one finished LLM run: the message's `usage_metadata` (per call, with cache and reasoning detail),
 * else the run's `llmOutput.tokenUsage`; undefined when the model reported none.
 */
export function runUsage(output: any): Partial<TokenUsage> | undefined {
  const message = firstMessage(output);
  const usage =
    usageMetadataUsage(message?.usage_metadata) ??
    tokenUsage(output?.llmOutput?.tokenUsage) ??
    tokenUsage(output?.llmOutput?.estimatedTokenUsage);
  return usage && { ...usage, ...billedExtras(message, firstGeneration(output)) };
}

/** The model the provider says answered (`response_metadata.model_name` / `.model`), if any. */
export function runResponseModel(output: any): string | undefined {
  const meta = firstMessage(output)?.response_metadata;
  const name = meta?.model_name ?? meta?.model ?? output?.llmOutput?.model_name;
  return typeof name === "string" && name !== "" ? name : undefined;
}
