import { type Handler, type HandlerContext, invalid, isRecord, optionalLimit } from "./handler.js";
import { ids } from "./ids.js";
import { sampleFromSchema } from "./json-schema.js";
import { azureResponseModel, openaiResponseModel } from "./models.js";
import { type PromptSegment, segmentKey } from "./prompt-cache.js";
import {
  isReasoningModel,
  reasoningTokensFor,
  replyFor,
  splitDeltas,
  splitFixed,
  truncateToTokens,
} from "./reply.js";
import { type SseEvent, sseEvent } from "./sse.js";
import {
  countTokens,
  MESSAGE_OVERHEAD_TOKENS,
  PROMPT_OVERHEAD_TOKENS,
  stableJson,
  textOf,
} from "./tokens.js";
import type { MockUsage } from "./types.js";

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Azure's content-filter annotations: present on every Azure chat answer, all clear. */
const CLEAR_FILTERS = {
  hate: { filtered: false, severity: "safe" },
  self_harm: { filtered: false, severity: "safe" },
  sexual: { filtered: false, severity: "safe" },
  violence: { filtered: false, severity: "safe" },
};

/**
 * Chat input tokens: 3 + Σ over messages (4 + tokens(text)), where a message's text is its content (string,
 * or text parts joined with "\n"; other parts as JSON) plus "\n" + JSON of `tool_calls` when present; plus
 * tokens(JSON of `tools`) and tokens(JSON of `response_format.json_schema`) when present.
 */
export function chatPromptSegments(messages: readonly unknown[]): PromptSegment[] {
  return messages.map((message) => {
    const m = isRecord(message) ? message : {};
    let text = textOf(m["content"]);
    if (m["tool_calls"] !== undefined) text += "\n" + stableJson(m["tool_calls"]);
    return { key: segmentKey("message", message), tokens: MESSAGE_OVERHEAD_TOKENS + countTokens(text) };
  });
}

function pickTool(
  body: Record<string, unknown>,
  messages: readonly unknown[],
): Record<string, unknown> | undefined {
  const tools = (Array.isArray(body["tools"]) ? body["tools"] : []).filter(
    (t): t is Record<string, unknown> => isRecord(t) && t["type"] === "function" && isRecord(t["function"]),
  );
  if (tools.length === 0) return undefined;
  const choice = body["tool_choice"];
  if (choice === "none") return undefined;
  const fn = (t: Record<string, unknown>) => t["function"] as Record<string, unknown>;
  if (isRecord(choice) && isRecord(choice["function"])) {
    return tools.find((t) => fn(t)["name"] === (choice["function"] as Record<string, unknown>)["name"]);
  }
  if (choice === "required") return tools[0];
  // "auto": call the first tool, unless the conversation just returned a tool result.
  const last = messages[messages.length - 1];
  return isRecord(last) && last["role"] === "tool" ? undefined : tools[0];
}

export const handleChat: Handler = (ctx: HandlerContext) => {
  const { body, route } = ctx;
  const model = typeof body["model"] === "string" ? body["model"] : route.deployment;
  if (!model) return invalid("you must provide a model parameter", "model");
  const messages = body["messages"];
  if (!Array.isArray(messages) || messages.length === 0) {
    return invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages");
  }
  const azure = route.provider === "azure-openai";
  const responseModel = azure
    ? azureResponseModel(
        route.deployment,
        typeof body["model"] === "string" ? body["model"] : undefined,
        false,
        ctx.azureDeployments,
      )
    : openaiResponseModel(model);

  const segments = chatPromptSegments(messages);
  let inputTokens = PROMPT_OVERHEAD_TOKENS + segments.reduce((sum, s) => sum + s.tokens, 0);
  if (body["tools"] !== undefined) inputTokens += countTokens(stableJson(body["tools"]));
  const format = isRecord(body["response_format"]) ? body["response_format"] : undefined;
  if (format?.["type"] === "json_schema") inputTokens += countTokens(stableJson(format["json_schema"]));
  const cacheReadTokens = ctx.openaiCache.lookupAndStore(model, segments);

  const maxOutput = optionalLimit(body["max_completion_tokens"]) ?? optionalLimit(body["max_tokens"]);
  const limit = maxOutput ?? Number.POSITIVE_INFINITY;
  const reasoning = isReasoningModel(responseModel) || isReasoningModel(model);
  const reasoningTokens = reasoning ? Math.min(reasoningTokensFor(body["reasoning_effort"]), limit) : 0;

  const tool = pickTool(body, messages);
  let content: string | null = null;
  let toolCall: ToolCall | undefined;
  let finishReason: "stop" | "length" | "tool_calls";
  let visibleTokens: number;
  if (tool) {
    const fn = tool["function"] as Record<string, unknown>;
    const name = String(fn["name"]);
    toolCall = { id: ids.callId(), name, arguments: JSON.stringify(sampleFromSchema(fn["parameters"])) };
    finishReason = "tool_calls";
    visibleTokens = countTokens(name) + countTokens(toolCall.arguments);
  } else {
    let natural = replyFor(stableJson(messages));
    if (format?.["type"] === "json_schema") {
      natural = JSON.stringify(
        sampleFromSchema(isRecord(format["json_schema"]) ? format["json_schema"]["schema"] : {}),
      );
    } else if (format?.["type"] === "json_object") {
      natural = JSON.stringify({ reply: natural });
    }
    const cut = truncateToTokens(natural, limit - reasoningTokens);
    content = cut.text;
    finishReason = cut.truncated ? "length" : "stop";
    visibleTokens = countTokens(content);
  }

  const computed: MockUsage = {
    inputTokens,
    outputTokens: reasoningTokens + visibleTokens,
    cacheReadTokens,
    cacheWriteTokens: 0,
    reasoningTokens,
    ...requestedTier(body),
  };
  const id = ids.chatCompletion();
  const created = Math.floor(Date.now() / 1000);
  const fingerprint = ids.systemFingerprint();
  const envelopeOf = (usage: MockUsage) => ({
    id,
    created,
    model: responseModel,
    ...(azure ? {} : { service_tier: usage.serviceTier ?? "default" }),
    system_fingerprint: fingerprint,
  });
  const azureChoice = azure ? { content_filter_results: CLEAR_FILTERS } : {};
  const promptFilters = azure
    ? { prompt_filter_results: [{ prompt_index: 0, content_filter_results: CLEAR_FILTERS }] }
    : {};
  const stream = body["stream"] === true;
  const streamOptions = isRecord(body["stream_options"]) ? body["stream_options"] : undefined;
  const includeUsage = streamOptions?.["include_usage"] === true;

  return {
    kind: "exchange",
    model,
    stream,
    computed,
    render: (usage) => ({
      ...envelopeOf(usage),
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content,
            refusal: null,
            annotations: [],
            ...(toolCall
              ? {
                  tool_calls: [
                    {
                      id: toolCall.id,
                      type: "function",
                      function: { name: toolCall.name, arguments: toolCall.arguments },
                    },
                  ],
                }
              : {}),
          },
          logprobs: null,
          finish_reason: finishReason,
          ...azureChoice,
        },
      ],
      usage: chatUsage(usage),
      ...promptFilters,
    }),
    events: (usage) => {
      const envelope = envelopeOf(usage);
      // With include_usage every chunk carries `usage: null` and one extra final chunk has the usage.
      const usageField = includeUsage ? { usage: null } : {};
      const chunk = (
        delta: Record<string, unknown>,
        finish: string | null,
        extra: Record<string, unknown> = {},
      ) =>
        sseEvent(undefined, {
          ...envelope,
          object: "chat.completion.chunk",
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finish, ...azureChoice }],
          ...usageField,
          ...extra,
        });
      const events: SseEvent[] = [];
      if (toolCall) {
        events.push(
          chunk(
            {
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  index: 0,
                  id: toolCall.id,
                  type: "function",
                  function: { name: toolCall.name, arguments: "" },
                },
              ],
              refusal: null,
            },
            null,
            promptFilters,
          ),
        );
        for (const piece of splitFixed(toolCall.arguments)) {
          events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null));
        }
      } else {
        events.push(chunk({ role: "assistant", content: "", refusal: null }, null, promptFilters));
        for (const piece of splitDeltas(content ?? "")) events.push(chunk({ content: piece }, null));
      }
      events.push(chunk({}, finishReason));
      if (includeUsage) {
        events.push(
          sseEvent(undefined, {
            ...envelope,
            object: "chat.completion.chunk",
            choices: [],
            usage: chatUsage(usage),
          }),
        );
      }
      events.push(sseEvent(undefined, "[DONE]"));
      return events;
    },
  };
};

/**
 * The tier a request is served in, as MockUsage records it: a requested "flex", "priority" or "scale"; none
 * (the standard tier, reported as "default") for "auto" or no tier.
 */
export function requestedTier(body: Record<string, unknown>): { serviceTier?: string } {
  const t = body["service_tier"];
  return t === "flex" || t === "priority" || t === "scale" ? { serviceTier: t } : {};
}

function chatUsage(usage: MockUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: {
      cached_tokens: usage.cacheReadTokens,
      audio_tokens: usage.audioInputTokens ?? 0,
      // Newer models bill cache writes and report them; the field is absent otherwise.
      ...(usage.cacheWriteTokens > 0 ? { cache_write_tokens: usage.cacheWriteTokens } : {}),
    },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: usage.audioOutputTokens ?? 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}
