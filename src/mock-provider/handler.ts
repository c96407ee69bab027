import type { MockError } from "./errors.js";
import type { EventStreamMessage } from "./event-stream.js";
import type { AnthropicPromptCache, OpenAIPromptCache } from "./prompt-cache.js";
import type { Route } from "./routes.js";
import type { SseEvent } from "./sse.js";
import type { MockUsage } from "./types.js";

/** What an endpoint handler gets: the parsed body and the server's state it may use. */
export interface HandlerContext {
  route: Route;
  body: Record<string, unknown>;
  openaiCache: OpenAIPromptCache;
  anthropicCache: AnthropicPromptCache;
  azureDeployments: Record<string, string> | undefined;
}

/**
 * A model call the mock answers. The usage is computed first and the body rendered from the final usage,
 * so `MockProviderOptions.usage` overrides show up in the response exactly as recorded.
 */
export interface Exchange {
  kind: "exchange";
  /** The request's model, for the usage override callback. */
  model: string;
  stream: boolean;
  computed: MockUsage;
  render(usage: MockUsage): unknown;
  events(usage: MockUsage): SseEvent[];
  /** Bedrock streams: binary `application/vnd.amazon.eventstream` messages, sent instead of SSE events. */
  eventStream?(usage: MockUsage): EventStreamMessage[];
  /** Response headers that depend on the final usage (Bedrock's `x-amzn-bedrock-*-token-count`). */
  headers?(usage: MockUsage): Record<string, string>;
  /** Makes the final usage representable on this wire (e.g. a model family without prompt caching). */
  constrain?(usage: MockUsage): MockUsage;
}

export type HandlerResult =
  | Exchange
  | { kind: "error"; error: MockError }
  /** A JSON answer without usage (count_tokens). */
  | { kind: "json"; body: unknown };

export type Handler = (ctx: HandlerContext) => HandlerResult;

export function invalid(message: string, param: string | null = null): HandlerResult {
  return { kind: "error", error: { status: 400, message, param } };
}

export function zeroUsage(): MockUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

/** Optional positive integer field; `undefined` when absent or not a number. */
export function optionalLimit(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? Math.max(0, Math.floor(value)) : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
