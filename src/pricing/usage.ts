import type { Usage } from "@pydantic/genai-prices";
import type { TokenUsage } from "../types.js";

/** Counts as priced: whole, non-negative, and consistent (parts never exceed the totals holding them). */
export interface PricedUsage {
  /** Inclusive of cacheRead, cacheWrite, audioInput and imageInput. */
  input: number;
  /** Inclusive of reasoning and audioOutput. */
  output: number;
  cacheRead: number;
  /** cacheWrite5m + cacheWrite1h. */
  cacheWrite: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  reasoning: number;
  audioInput: number;
  audioOutput: number;
  imageInput: number;
  webSearch: number;
  webFetch: number;
  codeExecution: number;
  fileSearch: number;
}

function count(n: unknown): number {
  // `n > 0` is false for NaN and non-numbers; Infinity is rejected too, since no price can be put on it.
  if (typeof n !== "number" || !(n > 0) || n === Number.POSITIVE_INFINITY) return 0;
  return Number.isInteger(n) ? n : Math.round(n);
}

/**
 * Cleans what a provider reported before pricing. A part larger than its total is an extraction bug
 * upstream; genai-prices throws on it, so the total is raised to the parts (never under-counting) instead.
 * Cache writes not split by TTL are 5-minute writes (the default TTL everywhere).
 */
export function toPricedUsage(usage: TokenUsage): PricedUsage {
  const cacheRead = count(usage.cacheReadTokens);
  const cacheWrite1h = count(usage.cacheWrite1hTokens);
  const cacheWrite = Math.max(count(usage.cacheWriteTokens), count(usage.cacheWrite5mTokens) + cacheWrite1h);
  const reasoning = count(usage.reasoningTokens);
  const audioInput = count(usage.audioInputTokens);
  const audioOutput = count(usage.audioOutputTokens);
  const imageInput = count(usage.imageInputTokens);
  const tools = usage.serverToolCalls;
  return {
    input: Math.max(count(usage.inputTokens), cacheRead + cacheWrite + audioInput + imageInput),
    output: Math.max(count(usage.outputTokens), reasoning + audioOutput),
    cacheRead,
    cacheWrite,
    cacheWrite5m: cacheWrite - cacheWrite1h,
    cacheWrite1h,
    reasoning,
    audioInput,
    audioOutput,
    imageInput,
    webSearch: count(tools?.webSearch),
    webFetch: count(tools?.webFetch),
    codeExecution: count(tools?.codeExecution),
    fileSearch: count(tools?.fileSearch),
  };
}

/**
 * genai-prices' usage keys. Every key is given (zeros included): a missing key next to a positive part makes
 * calcPrice throw, and a given 0 means "none of this part" (e.g. no cached audio).
 */
export function toGenaiUsage(u: PricedUsage): Usage {
  return {
    input_tokens: u.input,
    cache_read_tokens: u.cacheRead,
    cache_write_tokens: u.cacheWrite,
    cache_write_5m_tokens: u.cacheWrite5m,
    cache_write_1h_tokens: u.cacheWrite1h,
    input_audio_tokens: u.audioInput,
    cache_audio_read_tokens: 0,
    input_image_tokens: u.imageInput,
    cache_image_read_tokens: 0,
    output_tokens: u.output,
    output_reasoning_tokens: u.reasoning,
    output_audio_tokens: u.audioOutput,
    web_searches: u.webSearch,
    storage_searches: u.fileSearch,
    code_executions: u.codeExecution,
  };
}

/** A PricedUsage with only the classic token buckets (tests, probes). */
export function pricedUsage(parts: Partial<PricedUsage>): PricedUsage {
  const u: PricedUsage = {
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    reasoning: 0,
    audioInput: 0,
    audioOutput: 0,
    imageInput: 0,
    webSearch: 0,
    webFetch: 0,
    codeExecution: 0,
    fileSearch: 0,
    ...parts,
  };
  if (parts.cacheWrite5m === undefined) u.cacheWrite5m = u.cacheWrite - u.cacheWrite1h;
  return u;
}
