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
  return out;
}

/** `llmOutput.tokenUsage` (or `estimatedTokenUsage`): `{ promptTokens, completionTokens }`, no cache detail. */
function tokenUsage(t: any): Partial<TokenUsage> | undefined {
  const input = count(t?.promptTokens);
  const output = count(t?.completionTokens);
  if (input === undefined && output === undefined) return undefined;
  return { inputTokens: input ?? 0, outputTokens: output ?? 0 };
}

/** The generation's message, where chat models put `usage_metadata` and `response_metadata`. */
function firstMessage(output: any): any {
  const generations = output?.generations;
  return Array.isArray(generations) && Array.isArray(generations[0]) ? generations[0][0]?.message : undefined;
}

/**
 * Usage of one finished LLM run: the message's `usage_metadata` (per call, with cache and reasoning detail),
 * else the run's `llmOutput.tokenUsage`; undefined when the model reported none.
 */
export function runUsage(output: any): Partial<TokenUsage> | undefined {
  return (
    usageMetadataUsage(firstMessage(output)?.usage_metadata) ??
    tokenUsage(output?.llmOutput?.tokenUsage) ??
    tokenUsage(output?.llmOutput?.estimatedTokenUsage)
  );
}

/** The model the provider says answered (`response_metadata.model_name` / `.model`), if any. */
export function runResponseModel(output: any): string | undefined {
  const meta = firstMessage(output)?.response_metadata;
  const name = meta?.model_name ?? meta?.model ?? output?.llmOutput?.model_name;
  return typeof name === "string" && name !== "" ? name : undefined;
}
