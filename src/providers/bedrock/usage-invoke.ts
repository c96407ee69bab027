// InvokeModel bodies and stream chunks are model-specific: this reads each family's usage shape, delegating to
// the one normaliser of a shape where it has one (Anthropic Messages, Converse/Nova, invocation metrics).
import type { TokenUsage } from "../../types.js";
import { anthropicUsage } from "../anthropic/usage.js";
import { count } from "./counts.js";
import { converseUsage } from "./usage-converse.js";
import { invocationMetricsUsage } from "./usage-invocation-metrics.js";

/**
 * Usage from an InvokeModel response body, by model family: Anthropic (`usage.input_tokens`), Amazon Nova
 * (`usage.inputTokens`), Meta Llama (`prompt_token_count`, `generation_token_count`), Amazon Titan
 * (`inputTextTokenCount`, `results[].tokenCount`), OpenAI-style bodies (`usage.prompt_tokens`, cached inside).
 * Undefined when the body carries no counts (Mistral, Cohere…): the headers have them.
 */
export function invokeBodyUsage(body: any): Partial<TokenUsage> | undefined {
  if (!body || typeof body !== "object") return undefined;
  const u = body.usage;
  if (u && typeof u === "object") {
    if (count(u.input_tokens) !== undefined) return anthropicUsage(u);
    if (count(u.inputTokens) !== undefined) return converseUsage(u);
    if (count(u.prompt_tokens) !== undefined) {
      const out: Partial<TokenUsage> = { inputTokens: u.prompt_tokens };
      const cached = count(u.prompt_tokens_details?.cached_tokens);
      if (cached !== undefined) out.cacheReadTokens = cached;
      if (count(u.completion_tokens) !== undefined) out.outputTokens = u.completion_tokens;
      return out;
    }
  }
  if (count(body.prompt_token_count) !== undefined || count(body.generation_token_count) !== undefined) {
    const out: Partial<TokenUsage> = {};
    if (count(body.prompt_token_count) !== undefined) out.inputTokens = body.prompt_token_count;
    if (count(body.generation_token_count) !== undefined) out.outputTokens = body.generation_token_count;
    return out;
  }
  if (count(body.inputTextTokenCount) !== undefined) {
    const results: any[] = Array.isArray(body.results) ? body.results : [];
    const output = results.reduce((sum, r) => sum + (count(r?.tokenCount) ?? 0), 0);
    return { inputTokens: body.inputTextTokenCount, outputTokens: output };
  }
  return undefined;
}

/**
 * Usage carried by one InvokeModelWithResponseStream chunk (decoded JSON), given what was reported so far:
 * Anthropic `message_start` / `message_delta`, Nova's `metadata`, Llama's and Titan's running counts, and the
 * final chunk's invocation metrics, which win.
 */
export function invokeChunkUsage(c: any, previous: TokenUsage): Partial<TokenUsage> | undefined {
  if (!c || typeof c !== "object") return undefined;
  let out: Partial<TokenUsage> | undefined;
  if (c.type === "message_start" && c.message?.usage) out = anthropicUsage(c.message.usage);
  else if (c.type === "message_delta" && c.usage) out = anthropicUsage(c.usage, previous);
  else if (c.metadata?.usage) out = converseUsage(c.metadata.usage);
  else {
    const partial: Partial<TokenUsage> = {};
    const input = count(c.prompt_token_count) ?? count(c.inputTextTokenCount);
    const output = count(c.generation_token_count) ?? count(c.totalOutputTextTokenCount);
    if (input !== undefined) partial.inputTokens = input;
    if (output !== undefined) partial.outputTokens = output;
    if (input !== undefined || output !== undefined) out = partial;
  }
  const metrics = c["amazon-bedrock-invocationMetrics"];
  if (metrics && typeof metrics === "object") {
    out = { ...out, ...invocationMetricsUsage(metrics, { ...previous, ...out } as TokenUsage) };
  }
  return out;
}

/** Does this stream chunk carry generated output (≈ one token), for estimates of streams cut short? */
export function invokeChunkIsContent(c: any): boolean {
  if (!c || typeof c !== "object") return false;
  if (c.type === "content_block_delta" || c.contentBlockDelta) return true;
  if (typeof c.generation === "string" && c.generation !== "") return true;
  if (typeof c.outputText === "string" && c.outputText !== "") return true;
  if (Array.isArray(c.outputs) && c.outputs.some((o: any) => typeof o?.text === "string" && o.text !== ""))
    return true;
  return Array.isArray(c.choices) && c.choices.some((ch: any) => ch?.delta?.content);
}
