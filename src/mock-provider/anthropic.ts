import {
  type Handler,
  type HandlerContext,
  type HandlerResult,
  invalid,
  isRecord,
  optionalLimit,
} from "./handler.js";
import { ids } from "./ids.js";
import { sampleFromSchema } from "./json-schema.js";
import { anthropicResponseModel } from "./models.js";
import { type AnthropicCacheResult, type AnthropicSegment, segmentKey } from "./prompt-cache.js";
import { replyFor, splitDeltas, splitFixed, truncateToTokens } from "./reply.js";
import { type SseEvent, sseEvent } from "./sse.js";
import {
  countTokens,
  MESSAGE_OVERHEAD_TOKENS,
  PROMPT_OVERHEAD_TOKENS,
  stableJson,
  textOf,
  withoutCacheControl,
} from "./tokens.js";
import type { MockUsage } from "./types.js";

const MAX_BREAKPOINTS = 4;

function ttlOf(block: unknown): "5m" | "1h" | undefined {
  if (!isRecord(block) || !isRecord(block["cache_control"])) return undefined;
  return block["cache_control"]["ttl"] === "1h" ? "1h" : "5m";
}

function segment(kind: string, block: unknown, tokens: number): AnthropicSegment {
  const clean = isRecord(block) ? withoutCacheControl(block) : block;
  const breakpoint = ttlOf(block);
  return { key: segmentKey(kind, clean), tokens, ...(breakpoint ? { breakpoint } : {}) };
}

/**
 * Anthropic input tokens, block by block in prompt order (tools → system → messages): a tool counts
 * tokens(JSON of the tool), a system or content block tokens(its text; non-text blocks as JSON), and each
 * message adds 4 on its first block; plus 3 per prompt. A string `system`/`content` is one text block.
 */
export function anthropicPromptSegments(body: Record<string, unknown>): AnthropicSegment[] {
  const segments: AnthropicSegment[] = [];
  for (const tool of Array.isArray(body["tools"]) ? body["tools"] : []) {
    const clean = isRecord(tool) ? withoutCacheControl(tool) : tool;
    segments.push(segment("tool", tool, countTokens(stableJson(clean))));
  }
  const system = body["system"];
  if (typeof system === "string") segments.push(segment("system", system, countTokens(system)));
  else if (Array.isArray(system))
    for (const block of system) segments.push(segment("system", block, countTokens(textOf(block))));
  for (const message of Array.isArray(body["messages"]) ? body["messages"] : []) {
    const m = isRecord(message) ? message : {};
    const role = String(m["role"]);
    const content = m["content"];
    const blocks: unknown[] =
      typeof content === "string" ? [{ type: "text", text: content }] : Array.isArray(content) ? content : [];
    if (blocks.length === 0)
      segments.push({ key: segmentKey(`message:${role}`, null), tokens: MESSAGE_OVERHEAD_TOKENS });
    blocks.forEach((block, i) => {
      const overhead = i === 0 ? MESSAGE_OVERHEAD_TOKENS : 0;
      segments.push(
        segment(i === 0 ? `message:${role}` : "block", block, overhead + countTokens(textOf(block))),
      );
    });
  }
  return segments;
}

function validate(body: Record<string, unknown>, needsMaxTokens: boolean): HandlerResult | undefined {
  if (typeof body["model"] !== "string") return invalid("model: Field required");
  if (needsMaxTokens && !(typeof body["max_tokens"] === "number" && body["max_tokens"] >= 1)) {
    return invalid("max_tokens: Field required");
  }
  if (!Array.isArray(body["messages"]) || body["messages"].length === 0)
    return invalid("messages: Field required");
  return undefined;
}

function pickTool(body: Record<string, unknown>): Record<string, unknown> | undefined {
  // Server tools (web search, code execution…) have no input_schema; the mock only "calls" client tools.
  const tools = (Array.isArray(body["tools"]) ? body["tools"] : []).filter(
    (t): t is Record<string, unknown> => isRecord(t) && isRecord(t["input_schema"]),
  );
  if (tools.length === 0) return undefined;
  const choice = isRecord(body["tool_choice"]) ? body["tool_choice"] : { type: "auto" };
  if (choice["type"] === "none") return undefined;
  if (choice["type"] === "tool") return tools.find((t) => t["name"] === choice["name"]);
  if (choice["type"] === "any") return tools[0];
  // "auto": use the first tool, unless the last message hands back a tool result.
  const messages = body["messages"] as unknown[];
  const last = messages[messages.length - 1];
  const content = isRecord(last) ? last["content"] : undefined;
  const answersTool =
    Array.isArray(content) && content.some((b) => isRecord(b) && b["type"] === "tool_result");
  return answersTool ? undefined : tools[0];
}

export const handleCountTokens: Handler = (ctx: HandlerContext) => {
  const problem = validate(ctx.body, false);
  if (problem) return problem;
  const segments = anthropicPromptSegments(ctx.body);
  return {
    kind: "json",
    body: { input_tokens: PROMPT_OVERHEAD_TOKENS + segments.reduce((s, x) => s + x.tokens, 0) },
  };
};

type Block =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown };

export const handleMessages: Handler = (ctx: HandlerContext) => {
  const { body } = ctx;
  const problem = validate(body, true);
  if (problem) return problem;
  const model = body["model"] as string;
  const maxTokens = optionalLimit(body["max_tokens"]) ?? 1;
  const segments = anthropicPromptSegments(body);
  const breakpoints = segments.filter((s) => s.breakpoint).length;
  if (breakpoints > MAX_BREAKPOINTS) {
    return invalid(
      `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`,
    );
  }
  const inputTokens = PROMPT_OVERHEAD_TOKENS + segments.reduce((s, x) => s + x.tokens, 0);
  const cache = ctx.anthropicCache.lookupAndStore(model, segments);

  const seed = stableJson([body["system"] ?? null, body["messages"]]);
  const blocks: Block[] = [];
  const thinking = isRecord(body["thinking"]) ? body["thinking"] : undefined;
  let thinkingTokens = 0;
  if (thinking?.["type"] === "enabled" || thinking?.["type"] === "adaptive") {
    const budget = optionalLimit(thinking["budget_tokens"]) ?? maxTokens;
    const natural = [1, 2, 3].map((i) => replyFor(`thinking ${i} ${seed}`)).join(" ");
    const text = truncateToTokens(natural, Math.min(budget, maxTokens)).text;
    thinkingTokens = countTokens(text);
    blocks.push({ type: "thinking", thinking: text, signature: ids.signature() });
  }
  const tool = pickTool(body);
  let stopReason: "end_turn" | "max_tokens" | "tool_use";
  let visibleTokens: number;
  if (tool) {
    const input = sampleFromSchema(tool["input_schema"]);
    blocks.push({ type: "tool_use", id: ids.toolUse(), name: String(tool["name"]), input });
    stopReason = "tool_use";
    visibleTokens = countTokens(String(tool["name"])) + countTokens(JSON.stringify(input));
  } else {
    const cut = truncateToTokens(replyFor(seed), maxTokens - thinkingTokens);
    blocks.push({ type: "text", text: cut.text });
    stopReason = cut.truncated ? "max_tokens" : "end_turn";
    visibleTokens = countTokens(cut.text);
  }

  const computed: MockUsage = {
    inputTokens,
    outputTokens: thinkingTokens + visibleTokens,
    cacheReadTokens: cache.read,
    cacheWriteTokens: cache.write5m + cache.write1h,
    reasoningTokens: thinkingTokens,
  };
  const message = {
    id: ids.anthropicMessage(),
    type: "message",
    role: "assistant",
    model: anthropicResponseModel(model),
  };

  return {
    kind: "exchange",
    model,
    stream: body["stream"] === true,
    computed,
    render: (usage) => ({
      ...message,
      content: blocks,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: {
        ...inputUsage(usage, computed, cache),
        output_tokens: usage.outputTokens,
        ...outputDetails(usage),
      },
    }),
    events: (usage) => {
      const events: SseEvent[] = [];
      const emit = (type: string, fields: Record<string, unknown>) =>
        events.push(sseEvent(type, { type, ...fields }));
      emit("message_start", {
        message: {
          ...message,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...inputUsage(usage, computed, cache), output_tokens: Math.min(1, usage.outputTokens) },
        },
      });
      blocks.forEach((block, index) => {
        const delta = (d: Record<string, unknown>) => emit("content_block_delta", { index, delta: d });
        const start = (contentBlock: Record<string, unknown>) => {
          emit("content_block_start", { index, content_block: contentBlock });
          // The real API pings once, right after the first block opens.
          if (index === 0) emit("ping", {});
        };
        if (block.type === "thinking") {
          start({ type: "thinking", thinking: "", signature: "" });
          for (const piece of splitDeltas(block.thinking)) delta({ type: "thinking_delta", thinking: piece });
          delta({ type: "signature_delta", signature: block.signature });
        } else if (block.type === "tool_use") {
          start({ type: "tool_use", id: block.id, name: block.name, input: {} });
          for (const piece of splitFixed(JSON.stringify(block.input)))
            delta({ type: "input_json_delta", partial_json: piece });
        } else {
          start({ type: "text", text: "" });
          for (const piece of splitDeltas(block.text)) delta({ type: "text_delta", text: piece });
        }
        emit("content_block_stop", { index });
      });
      const { cache_creation: _split, service_tier: _tier, ...counts } = inputUsage(usage, computed, cache);
      emit("message_delta", {
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { ...counts, output_tokens: usage.outputTokens, ...outputDetails(usage) },
      });
      emit("message_stop", {});
      return events;
    },
  };
};

/** Anthropic's wire input counts: `input_tokens` excludes cache reads and writes. */
function inputUsage(usage: MockUsage, computed: MockUsage, cache: AnthropicCacheResult) {
  let write5m = cache.write5m;
  let write1h = cache.write1h;
  if (usage.cacheWriteTokens !== computed.cacheWriteTokens) {
    // An override changed the total: keep it in one TTL bucket, the 1h one only if that is all there was.
    const only1h = cache.write1h > 0 && cache.write5m === 0;
    write5m = only1h ? 0 : usage.cacheWriteTokens;
    write1h = only1h ? usage.cacheWriteTokens : 0;
  }
  return {
    input_tokens: usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    cache_creation: { ephemeral_5m_input_tokens: write5m, ephemeral_1h_input_tokens: write1h },
    service_tier: "standard",
  };
}

function outputDetails(usage: MockUsage) {
  return usage.reasoningTokens > 0
    ? { output_tokens_details: { thinking_tokens: usage.reasoningTokens } }
    : {};
}
