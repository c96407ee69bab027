import type { ServerToolCalls, TokenUsage } from "../../types.js";

/** A count as sent: whether it can be trusted is the call's one check (src/calls/usage-check.ts). */
function count(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Anthropic Messages `usage` — in a message body, `message_start` and `message_delta`, from the Anthropic API
 * and from Bedrock's InvokeModel alike. `input_tokens` EXCLUDES cache reads and writes; UsageEvent's
 * inputTokens includes them, with the cache buckets reported beside it, so they are added here, once. A
 * stream delta may omit the cache fields: `previous` (what the call reported so far) fills them in.
 * Billed extras read here (docs/pricing.md "Dimensions"): cache writes by TTL (`cache_creation`), server tool
 * requests (`server_tool_use`), the tier that served (`service_tier`) and `inference_geo`.
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
  // Only the 1-hour part is kept: the rest of the writes are 5-minute ones (TokenUsage's rule).
  const w1h = count(u?.cache_creation?.ephemeral_1h_input_tokens);
  if (w1h) out.cacheWrite1hTokens = w1h;
  const tools = serverTools(u?.server_tool_use, previous?.serverToolCalls);
  if (tools) out.serverToolCalls = tools;
  // "standard" is what an absent tier means; only another tier is recorded.
  const tier = text(u?.service_tier);
  if (tier && tier !== "standard") out.serviceTier = tier;
  const geo = text(u?.inference_geo);
  if (geo) out.inferenceGeo = geo;
  return out;
}

function serverTools(s: any, previous: ServerToolCalls | undefined): ServerToolCalls | undefined {
  const webSearch = count(s?.web_search_requests);
  const webFetch = count(s?.web_fetch_requests);
  if (!webSearch && !webFetch) return undefined;
  const out: ServerToolCalls = { ...previous };
  if (webSearch) out.webSearch = webSearch;
  if (webFetch) out.webFetch = webFetch;
  return out;
}

/** Server tool names Anthropic bills as code execution (container time; see docs/pricing.md). */
const CODE_EXECUTION = new Set(["code_execution", "bash_code_execution", "text_editor_code_execution"]);

/** Is this content block (or `content_block_start` block) a code-execution server tool call? */
export function isCodeExecutionBlock(block: any): boolean {
  return block?.type === "server_tool_use" && CODE_EXECUTION.has(block?.name);
}

/** Code-execution calls in a message's content: usage does not count them, the content does. */
export function codeExecutionCalls(content: unknown): number {
  return Array.isArray(content) ? content.filter(isCodeExecutionBlock).length : 0;
}
