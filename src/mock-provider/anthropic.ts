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
import { type AnthropicSegment, segmentKey } from "./prompt-cache.js";
import { replyFor, splitDeltas, splitFixed, truncateToTokens } from "./reply.js";
import { declaredServerTools } from "./server-tools.js";
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
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "server_tool_use"; id: string; name: string; input: unknown }
  | { type: "server_tool_result"; block: Record<string, unknown> };

/**
 * The content blocks of the server tool calls in `usage` (each a `server_tool_use` block and its result), in
 * the order web search, web fetch, code execution; they come before the answer, as the real API's do.
 */
function serverToolBlocks(usage: MockUsage): Block[] {
  const out: Block[] = [];
  const calls = usage.serverToolCalls ?? {};
  const add = (n: number | undefined, name: string, input: unknown, result: (id: string) => unknown) => {
    for (let i = 0; i < (n ?? 0); i++) {
      const id = ids.serverToolUse();
      out.push({ type: "server_tool_use", id, name, input });
      out.push({ type: "server_tool_result", block: { tool_use_id: id, ...(result(id) as object) } });
    }
  };
  add(calls.webSearch, "web_search", { query: "mock query" }, () => ({
    type: "web_search_tool_result",
    content: [],
  }));
  add(calls.webFetch, "web_fetch", { url: "https://example.com/" }, () => ({
    type: "web_fetch_tool_result",
    content: {
      type: "web_fetch_result",
      url: "https://example.com/",
      retrieved_at: new Date().toISOString(),
      content: { type: "document", source: { type: "text", media_type: "text/plain", data: "example" } },
    },
  }));
  add(calls.codeExecution, "code_execution", { code: "print(1)" }, () => ({
    type: "code_execution_tool_result",
    content: { type: "code_execution_result", stdout: "1\n", stderr: "", return_code: 0, content: [] },
  }));
  return out;
}

/** A block as the API renders it. */
function wire(block: Block): Record<string, unknown> {
  return block.type === "server_tool_result" ? block.block : block;
}

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

  const serverTools = declaredServerTools(body["tools"]);
  const computed: MockUsage = {
    inputTokens,
    outputTokens: thinkingTokens + visibleTokens,
    cacheReadTokens: cache.read,
    cacheWriteTokens: cache.write5m + cache.write1h,
    reasoningTokens: thinkingTokens,
    ...(cache.write1h > 0 ? { cacheWrite1hTokens: cache.write1h } : {}),
    ...(serverTools ? { serverToolCalls: serverTools } : {}),
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
      content: [...serverToolBlocks(usage), ...blocks].map(wire),
      stop_reason: stopReason,
      stop_sequence: null,
      usage: {
        ...inputUsage(usage),
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
          usage: { ...inputUsage(usage), output_tokens: Math.min(1, usage.outputTokens) },
        },
      });
      [...serverToolBlocks(usage), ...blocks].forEach((block, index) => {
        const delta = (d: Record<string, unknown>) => emit("content_block_delta", { index, delta: d });
        const start = (contentBlock: Record<string, unknown>) => {
          emit("content_block_start", { index, content_block: contentBlock });
          // The real API pings once, right after the first block opens.
          if (index === 0) emit("ping", {});
        };
        if (block.type === "server_tool_result") {
          start(block.block);
        } else if (block.type === "server_tool_use") {
          start({ type: "server_tool_use", id: block.id, name: block.name, input: {} });
          delta({ type: "input_json_delta", partial_json: JSON.stringify(block.input) });
        } else if (block.type === "thinking") {
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
      const { cache_creation: _split, service_tier: _tier, ...counts } = inputUsage(usage);
      emit("message_delta", {
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { ...counts, output_tokens: usage.outputTokens, ...outputDetails(usage) },
      });
      emit("message_stop", {});
      return events;
    },
  };
};

/**
 * Anthropic's wire input counts: `input_tokens` excludes cache reads and writes; the writes split by TTL
 * (an override of the total keeps the computed 1-hour part, capped, and the rest is 5-minute); server tool
 * requests (`server_tool_use`, only when there were some, as the API does); the tier that served.
 */
function inputUsage(usage: MockUsage) {
  const write1h = usage.cacheWrite1hTokens ?? 0;
  const tools = usage.serverToolCalls;
  const searches = (tools?.webSearch ?? 0) + (tools?.webFetch ?? 0);
  return {
    input_tokens: usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: usage.cacheWriteTokens - write1h,
      ephemeral_1h_input_tokens: write1h,
    },
    ...(searches > 0
      ? {
          server_tool_use: {
            web_search_requests: tools?.webSearch ?? 0,
            web_fetch_requests: tools?.webFetch ?? 0,
          },
        }
      : {}),
    service_tier: usage.serviceTier ?? "standard",
  };
}

function outputDetails(usage: MockUsage) {
  return usage.reasoningTokens > 0
    ? { output_tokens_details: { thinking_tokens: usage.reasoningTokens } }
    : {};
}
