// Bedrock reports usage in several shapes; all of them count input WITHOUT cache reads and writes (Converse
// `inputTokens`, Anthropic `input_tokens`, Nova `inputTokens`, the `x-amzn-bedrock-input-token-count` header,
// `amazon-bedrock-invocationMetrics.inputTokenCount`), with the cache buckets reported beside it. UsageEvent's
// inputTokens includes them, so they are added here, once; the cache buckets stay separate.
import type { TokenUsage } from "../../types.js";

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Uncached input + cache buckets → the inclusive normal form. `previous` fills buckets a partial report omits. */
function withCache(
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

/**
 * Converse / ConverseStream `usage` ({inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens}),
 * and Nova's InvokeModel `usage`, which names the cache fields `cacheRead/WriteInputTokenCount`.
 */
export function converseUsage(u: any): Partial<TokenUsage> {
  const out = withCache(
    count(u?.inputTokens),
    count(u?.cacheReadInputTokens) ?? count(u?.cacheReadInputTokenCount),
    count(u?.cacheWriteInputTokens) ?? count(u?.cacheWriteInputTokenCount),
  );
  const output = count(u?.outputTokens);
  if (output !== undefined) out.outputTokens = output;
  return out;
}

/** Anthropic Messages `usage` (in bodies, `message_start` and `message_delta`): `input_tokens` excludes cache. */
export function anthropicUsage(u: any, previous?: TokenUsage): Partial<TokenUsage> {
  const out = withCache(
    count(u?.input_tokens),
    count(u?.cache_read_input_tokens),
    count(u?.cache_creation_input_tokens),
    previous,
  );
  const output = count(u?.output_tokens);
  if (output !== undefined) out.outputTokens = output;
  return out;
}

/** The final stream chunk's `amazon-bedrock-invocationMetrics`: Bedrock's own, authoritative count. */
export function invocationMetricsUsage(m: any, previous?: TokenUsage): Partial<TokenUsage> {
  const out = withCache(
    count(m?.inputTokenCount),
    count(m?.cacheReadInputTokenCount),
    count(m?.cacheWriteInputTokenCount),
    previous,
  );
  const output = count(m?.outputTokenCount);
  if (output !== undefined) out.outputTokens = output;
  return out;
}

/** The `x-amzn-bedrock-*-token-count` response headers of InvokeModel (lowercased names). */
export function headerUsage(headers: Record<string, string>): Partial<TokenUsage> | undefined {
  const num = (name: string) => {
    const value = headers[`x-amzn-bedrock-${name}`];
    return value === undefined || value === "" ? undefined : count(Number(value));
  };
  const out = withCache(
    num("input-token-count"),
    num("cache-read-input-token-count"),
    num("cache-write-input-token-count"),
  );
  const output = num("output-token-count");
  if (output !== undefined) out.outputTokens = output;
  return out.inputTokens === undefined && output === undefined ? undefined : out;
}

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
