// Anthropic (`@anthropic-ai/sdk`): messages.create (plain and stream: true) and so messages.stream() and
// messages.parse(), which call it; beta.messages likewise.
import type { TokenUsage } from "../../types.js";
import { estimateTokensOfText, textLength } from "../estimate.js";
import { ownerOf, patchPiece } from "../patch.js";
import { type Operation, patchFetch, wrapCreate } from "../stainless.js";

type Undo = (() => void) | undefined;

/**
 * Anthropic's `input_tokens` EXCLUDE cache reads and writes; UsageEvent's inputTokens include them, with the
 * cache buckets reported separately — so add them here, once. Stream deltas may repeat the input fields.
 */
function usageOf(u: any, previous: TokenUsage | undefined): Partial<TokenUsage> {
  const out: Partial<TokenUsage> = {};
  const cacheRead = u.cache_read_input_tokens ?? undefined;
  const cacheWrite = u.cache_creation_input_tokens ?? undefined;
  if (typeof u.input_tokens === "number") {
    const read = cacheRead ?? previous?.cacheReadTokens ?? 0;
    const write = cacheWrite ?? previous?.cacheWriteTokens ?? 0;
    out.inputTokens = u.input_tokens + read + write;
    out.cacheReadTokens = read;
    out.cacheWriteTokens = write;
  }
  if (typeof u.output_tokens === "number") out.outputTokens = u.output_tokens;
  return out;
}

const messages: Operation = {
  describe: (_client, body) => ({
    provider: "anthropic",
    operation: "messages",
    requestModel: String(body.model ?? "unknown"),
    stream: body.stream === true,
    estimateInputTokens: () => estimateTokensOfText(textLength(body.messages) + textLength(body.system)),
    maxOutputTokens: body.max_tokens,
  }),
  observer: {
    onResult(message, record) {
      if (message?.model) record.responseModel = message.model;
      if (message?.usage) record.reportUsage(usageOf(message.usage, undefined));
    },
    onStreamItem(event, record) {
      if (event?.type === "message_start") {
        if (event.message?.model) record.responseModel = event.message.model;
        if (event.message?.usage) record.reportUsage(usageOf(event.message.usage, undefined));
      } else if (event?.type === "message_delta" && event.usage) {
        record.reportUsage(usageOf(event.usage, record.usage));
      }
      return false;
    },
    isContent: (event) => event?.type === "content_block_delta",
  },
};

/** Patches one loaded build (CJS or ESM) of `@anthropic-ai/sdk`; returns the undos. */
export function patchAnthropic(sdk: Record<string, unknown>): Undo[] {
  const undos: Undo[] = [];
  const Anthropic = (sdk.Anthropic ?? sdk.default) as any;
  if (typeof Anthropic === "function") {
    const piece = (label: string, proto: object | undefined) =>
      patchPiece(
        `anthropic ${label}`,
        ownerOf(proto, "create"),
        "create",
        wrapCreate(messages, Anthropic.AnthropicError ?? sdk.AnthropicError),
      );
    undos.push(piece("messages.create", Anthropic.Messages?.prototype));
    undos.push(piece("beta.messages.create", Anthropic.Beta?.Messages?.prototype));
    undos.push(patchFetch(ownerOf(Anthropic.prototype, "fetchWithTimeout"), "anthropic"));
  }
  return undos;
}
