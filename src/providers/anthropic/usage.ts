import type { TokenUsage } from "../../types.js";

/** A count as sent: whether it can be trusted is the call's one check (src/calls/usage-check.ts). */
function count(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/**
 * Anthropic Messages `usage` — in a message body, `message_start` and `message_delta`, from the Anthropic API
 * and from Bedrock's InvokeModel alike. `input_tokens` EXCLUDES cache reads and writes; UsageEvent's
 * inputTokens includes them, with the cache buckets reported beside it, so they are added here, once. A
 * stream delta may omit the cache fields: `previous` (what the call reported so far) fills them in.
 */
export function anthropicUsage(u: any, previous?: TokenUsage): Partial<TokenUsage> {
  const out: Partial<TokenUsage> = {};
  const uncached = count(u?.input_tokens);
  if (uncached !== undefined) {
    const read = count(u?.cache_read_input_tokens) ?? previous?.cacheReadTokens ?? 0;
    const write = count(u?.cache_creation_input_tokens) ?? previous?.cacheWriteTokens ?? 0;
    out.inputTokens = uncached + read + write;
    out.cacheReadTokens = read;
    out.cacheWriteTokens = write;
  }
  const output = count(u?.output_tokens);
  if (output !== undefined) out.outputTokens = output;
  // Extended thinking, where reported: part of output_tokens (billed as output), recorded as reasoning.
  const thinking = count(u?.output_tokens_details?.thinking_tokens);
  if (thinking !== undefined) out.reasoningTokens = thinking;
  return out;
}
