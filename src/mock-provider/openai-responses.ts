import { type Handler, type HandlerContext, invalid, isRecord, optionalLimit } from "./handler.js";
import { ids } from "./ids.js";
import { sampleFromSchema } from "./json-schema.js";
import { azureResponseModel, openaiResponseModel } from "./models.js";
import { requestedTier } from "./openai-chat.js";
import { type PromptSegment, segmentKey } from "./prompt-cache.js";
import {
  isReasoningModel,
  reasoningTokensFor,
  replyFor,
  splitDeltas,
  splitFixed,
  truncateToTokens,
} from "./reply.js";
import { declaredServerTools } from "./server-tools.js";
import { type SseEvent, sseEvent } from "./sse.js";
import {
  countTokens,
  MESSAGE_OVERHEAD_TOKENS,
  PROMPT_OVERHEAD_TOKENS,
  stableJson,
  textOf,
} from "./tokens.js";
import type { MockUsage } from "./types.js";

/** The text of one input item: message content, a tool result's output, a tool call's name + arguments. */
function itemText(item: Record<string, unknown>): string {
  if ("content" in item) return textOf(item["content"]);
  if (item["type"] === "function_call") return `${String(item["name"])}\n${String(item["arguments"])}`;
  return textOf(item);
}

/**
 * Responses input tokens: `instructions` counts as a leading system message, a string `input` as one user
 * message, array items as messages; then the same rule as chat: 3 + Σ (4 + tokens(text)) + tokens(JSON of
 * `tools`) + tokens(JSON of a json_schema `text.format`). Caching uses the same message prefixes as chat.
 */
export function responsesPromptSegments(body: Record<string, unknown>): PromptSegment[] {
  const items: Record<string, unknown>[] = [];
  if (typeof body["instructions"] === "string") items.push({ role: "system", content: body["instructions"] });
  const input = body["input"];
  if (typeof input === "string") items.push({ role: "user", content: input });
  else if (Array.isArray(input))
    for (const item of input) items.push(isRecord(item) ? item : { content: item });
  return items.map((item) => ({
    key: segmentKey("message", item),
    tokens: MESSAGE_OVERHEAD_TOKENS + countTokens(itemText(item)),
  }));
}

function pickTool(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const tools = (Array.isArray(body["tools"]) ? body["tools"] : []).filter(
    (t): t is Record<string, unknown> => isRecord(t) && t["type"] === "function",
  );
  if (tools.length === 0) return undefined;
  const choice = body["tool_choice"];
  if (choice === "none") return undefined;
  if (isRecord(choice) && choice["type"] === "function")
    return tools.find((t) => t["name"] === choice["name"]);
  if (choice === "required") return tools[0];
  // "auto": call the first tool, unless the input ends with a tool result.
  const input = body["input"];
  const last = Array.isArray(input) ? input[input.length - 1] : undefined;
  return isRecord(last) && last["type"] === "function_call_output" ? undefined : tools[0];
}

export const handleResponses: Handler = (ctx: HandlerContext) => {
  const { body, route } = ctx;
  const model = typeof body["model"] === "string" ? body["model"] : undefined;
  if (!model) return invalid("Missing required parameter: 'model'.", "model");
  if (typeof body["input"] !== "string" && !Array.isArray(body["input"])) {
    return invalid("Missing required parameter: 'input'.", "input");
  }
  const responseModel =
    route.provider === "azure-openai"
      ? azureResponseModel(undefined, model, false, ctx.azureDeployments)
      : openaiResponseModel(model);

  const segments = responsesPromptSegments(body);
  let inputTokens = PROMPT_OVERHEAD_TOKENS + segments.reduce((sum, s) => sum + s.tokens, 0);
  if (body["tools"] !== undefined) inputTokens += countTokens(stableJson(body["tools"]));
  const textConfig = isRecord(body["text"]) ? body["text"] : undefined;
  const format = isRecord(textConfig?.["format"])
    ? (textConfig["format"] as Record<string, unknown>)
    : undefined;
  if (format?.["type"] === "json_schema") inputTokens += countTokens(stableJson(format["schema"]));
  const cacheReadTokens = ctx.openaiCache.lookupAndStore(model, segments);

  const maxOutput = optionalLimit(body["max_output_tokens"]);
  const limit = maxOutput ?? Number.POSITIVE_INFINITY;
  const reasoningConfig = isRecord(body["reasoning"]) ? body["reasoning"] : undefined;
  const reasoning = isReasoningModel(responseModel) || isReasoningModel(model);
  const reasoningTokens = reasoning ? Math.min(reasoningTokensFor(reasoningConfig?.["effort"]), limit) : 0;

  const tool = pickTool(body);
  let text = "";
  let truncated = false;
  let call: { id: string; callId: string; name: string; arguments: string } | undefined;
  let visibleTokens: number;
  if (tool) {
    const name = String(tool["name"]);
    call = {
      id: ids.functionCallItem(),
      callId: ids.callId(),
      name,
      arguments: JSON.stringify(sampleFromSchema(tool["parameters"])),
    };
    visibleTokens = countTokens(name) + countTokens(call.arguments);
  } else {
    let natural = replyFor(stableJson(body["input"]));
    if (format?.["type"] === "json_schema") natural = JSON.stringify(sampleFromSchema(format["schema"]));
    else if (format?.["type"] === "json_object") natural = JSON.stringify({ reply: natural });
    const cut = truncateToTokens(natural, limit - reasoningTokens);
    text = cut.text;
    truncated = cut.truncated;
    visibleTokens = countTokens(text);
  }
  const serverTools = declaredServerTools(body["tools"]);
  const computed: MockUsage = {
    inputTokens,
    outputTokens: reasoningTokens + visibleTokens,
    cacheReadTokens,
    cacheWriteTokens: 0,
    reasoningTokens,
    ...(serverTools ? { serverToolCalls: serverTools } : {}),
    ...requestedTier(body),
  };

  const id = ids.response();
  const createdAt = Math.floor(Date.now() / 1000);
  const messageId = ids.responseMessage();
  const reasoningItem = reasoning ? { id: ids.reasoningItem(), type: "reasoning", summary: [] } : undefined;
  const itemStatus = truncated ? "incomplete" : "completed";
  const outputPart = { type: "output_text", annotations: [], logprobs: [], text };
  const finalItem = call
    ? {
        id: call.id,
        type: "function_call",
        status: "completed",
        arguments: call.arguments,
        call_id: call.callId,
        name: call.name,
      }
    : { id: messageId, type: "message", status: itemStatus, content: [outputPart], role: "assistant" };
  // Server tool call items come first (they are made before the answer), one per billed call.
  const toolItems = (usage: MockUsage) => serverToolItems(usage);
  const outputOf = (usage: MockUsage) => [
    ...toolItems(usage),
    ...(reasoningItem ? [reasoningItem] : []),
    finalItem,
  ];

  const responseObject = (
    status: "in_progress" | "completed" | "incomplete",
    usage: MockUsage | null,
    items: unknown[],
  ) => ({
    id,
    object: "response",
    created_at: createdAt,
    status,
    background: false,
    completed_at: status === "in_progress" ? null : Math.floor(Date.now() / 1000),
    error: null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: body["instructions"] ?? null,
    max_output_tokens: maxOutput ?? null,
    max_tool_calls: null,
    model: responseModel,
    output: items,
    parallel_tool_calls: body["parallel_tool_calls"] ?? true,
    previous_response_id: body["previous_response_id"] ?? null,
    prompt_cache_key: body["prompt_cache_key"] ?? null,
    reasoning: { effort: reasoning ? (reasoningConfig?.["effort"] ?? "medium") : null, summary: null },
    safety_identifier: null,
    service_tier: usage ? (usage.serviceTier ?? "default") : (body["service_tier"] ?? "auto"),
    store: body["store"] ?? true,
    temperature: body["temperature"] ?? 1,
    text: { format: format ?? { type: "text" }, verbosity: "medium" },
    tool_choice: body["tool_choice"] ?? "auto",
    tools: body["tools"] ?? [],
    top_logprobs: 0,
    top_p: body["top_p"] ?? 1,
    truncation: body["truncation"] ?? "disabled",
    usage: usage ? responsesUsage(usage) : null,
    user: null,
    metadata: body["metadata"] ?? {},
  });
  const finalStatus = truncated ? "incomplete" : "completed";

  return {
    kind: "exchange",
    model,
    stream: body["stream"] === true,
    computed,
    render: (usage) => responseObject(finalStatus, usage, outputOf(usage)),
    events: (usage) => {
      const output = outputOf(usage);
      const mainIndex = output.length - 1;
      const before = toolItems(usage);
      let sequence = 0;
      const events: SseEvent[] = [];
      const emit = (type: string, fields: Record<string, unknown>) => {
        events.push(sseEvent(type, { type, ...fields, sequence_number: sequence++ }));
      };
      emit("response.created", { response: responseObject("in_progress", null, []) });
      emit("response.in_progress", { response: responseObject("in_progress", null, []) });
      before.forEach((item, i) => {
        emit("response.output_item.added", { output_index: i, item: { ...item, status: "in_progress" } });
        emit("response.output_item.done", { output_index: i, item });
      });
      if (reasoningItem) {
        emit("response.output_item.added", { output_index: before.length, item: reasoningItem });
        emit("response.output_item.done", { output_index: before.length, item: reasoningItem });
      }
      if (call) {
        const base = { item_id: call.id, output_index: mainIndex };
        emit("response.output_item.added", {
          output_index: mainIndex,
          item: { ...finalItem, status: "in_progress", arguments: "" },
        });
        for (const delta of splitFixed(call.arguments))
          emit("response.function_call_arguments.delta", { ...base, delta });
        emit("response.function_call_arguments.done", {
          ...base,
          arguments: call.arguments,
          name: call.name,
        });
      } else {
        const base = { item_id: messageId, output_index: mainIndex, content_index: 0 };
        emit("response.output_item.added", {
          output_index: mainIndex,
          item: { id: messageId, type: "message", status: "in_progress", content: [], role: "assistant" },
        });
        emit("response.content_part.added", { ...base, part: { ...outputPart, text: "" } });
        for (const delta of splitDeltas(text))
          emit("response.output_text.delta", { ...base, delta, logprobs: [] });
        emit("response.output_text.done", { ...base, text, logprobs: [] });
        emit("response.content_part.done", { ...base, part: outputPart });
      }
      emit("response.output_item.done", { output_index: mainIndex, item: finalItem });
      emit(`response.${finalStatus}`, { response: responseObject(finalStatus, usage, output) });
      return events;
    },
  };
};

/** `web_search_call`, `file_search_call` and `code_interpreter_call` items, one per billed call. */
function serverToolItems(usage: MockUsage): Record<string, unknown>[] {
  const calls = usage.serverToolCalls ?? {};
  const items: Record<string, unknown>[] = [];
  const times = (n: number | undefined, make: () => Record<string, unknown>) => {
    for (let i = 0; i < (n ?? 0); i++) items.push(make());
  };
  times(calls.webSearch, () => ({
    id: ids.webSearchItem(),
    type: "web_search_call",
    status: "completed",
    action: { type: "search", query: "mock query" },
  }));
  times(calls.fileSearch, () => ({
    id: ids.fileSearchItem(),
    type: "file_search_call",
    status: "completed",
    queries: ["mock query"],
    results: null,
  }));
  times(calls.codeExecution, () => ({
    id: ids.codeInterpreterItem(),
    type: "code_interpreter_call",
    status: "completed",
    code: "print(1)",
    container_id: ids.container(),
    outputs: null,
  }));
  return items;
}

function responsesUsage(usage: MockUsage) {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: {
      cached_tokens: usage.cacheReadTokens,
      ...(usage.cacheWriteTokens > 0 ? { cache_write_tokens: usage.cacheWriteTokens } : {}),
    },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}
