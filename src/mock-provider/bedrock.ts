// AWS Bedrock Runtime: InvokeModel (model-native bodies, by family) and Converse (one format for all), each
// plain or streamed as `application/vnd.amazon.eventstream`.
import { handleMessages } from "./anthropic.js";
import type { EventStreamMessage } from "./event-stream.js";
import {
  type Exchange,
  type Handler,
  type HandlerContext,
  type HandlerResult,
  invalid,
  isRecord,
  optionalLimit,
  zeroUsage,
} from "./handler.js";
import { ids } from "./ids.js";
import { sampleFromSchema } from "./json-schema.js";
import { mockEmbedding } from "./openai-embeddings.js";
import { type AnthropicCacheResult, type AnthropicSegment, segmentKey } from "./prompt-cache.js";
import { replyFor, splitDeltas, splitFixed, truncateToTokens } from "./reply.js";
import type { SseEvent } from "./sse.js";
import {
  countTokens,
  MESSAGE_OVERHEAD_TOKENS,
  PROMPT_OVERHEAD_TOKENS,
  stableJson,
  textOf,
} from "./tokens.js";
import type { MockUsage } from "./types.js";

export type BedrockFamily = "anthropic" | "nova" | "llama" | "titan-text" | "titan-embed" | "mistral";

/** Families with prompt caching on Bedrock (Converse `cachePoint`, Anthropic `cache_control`). */
const CACHING = new Set<BedrockFamily>(["anthropic", "nova"]);
const MAX_CACHE_POINTS = 4;
/** What the mock answers with when a request sets no output limit. */
const DEFAULT_MAX_TOKENS = 512;

/** `us.anthropic.claude-…-v1:0`, or an inference-profile / foundation-model ARN → the base model id. */
export function baseModelId(modelId: string): string {
  const tail = modelId.startsWith("arn:") ? modelId.slice(modelId.lastIndexOf("/") + 1) : modelId;
  return tail.replace(/^(us|eu|apac|us-gov|global|jp|au|ca)\./, "");
}

export function familyOf(modelId: string): BedrockFamily | undefined {
  const id = baseModelId(modelId);
  if (id.startsWith("anthropic.")) return "anthropic";
  if (id.startsWith("amazon.nova")) return "nova";
  if (id.startsWith("meta.")) return "llama";
  if (id.startsWith("amazon.titan-embed")) return "titan-embed";
  if (id.startsWith("amazon.titan-text")) return "titan-text";
  if (id.startsWith("mistral.")) return "mistral";
  return undefined;
}

/** `anthropic.claude-3-5-sonnet-20240620-v1:0` → `claude-3-5-sonnet-20240620`, as Anthropic bodies name it. */
function anthropicName(modelId: string): string {
  return baseModelId(modelId)
    .replace(/^anthropic\./, "")
    .replace(/-v\d+(:\d+)?$/, "");
}

/** Bedrock pads event payloads with `p` (so sizes do not reveal the tokens); its length varies. */
function pad(payload: Record<string, unknown>): Record<string, unknown> {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return { ...payload, p: alphabet.slice(0, 1 + (JSON.stringify(payload).length % alphabet.length)) };
}

/** InvokeModelWithResponseStream: each model-native chunk travels base64-encoded in a `chunk` event. */
function chunk(body: unknown): EventStreamMessage {
  return {
    eventType: "chunk",
    payload: pad({ bytes: Buffer.from(JSON.stringify(body)).toString("base64") }),
  };
}

/** Bedrock's input counts exclude cache reads and writes, which are reported on their own. */
function uncachedInput(usage: MockUsage): number {
  return usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens;
}

/** Deterministic, so bodies compare equal across runs. */
function latencyMs(usage: MockUsage): number {
  return 100 + usage.outputTokens * 5;
}

/** The final chunk's `amazon-bedrock-invocationMetrics`. */
function invocationMetrics(usage: MockUsage, caching: boolean) {
  return {
    inputTokenCount: uncachedInput(usage),
    outputTokenCount: usage.outputTokens,
    invocationLatency: latencyMs(usage),
    firstByteLatency: 80,
    ...(caching
      ? { cacheReadInputTokenCount: usage.cacheReadTokens, cacheWriteInputTokenCount: usage.cacheWriteTokens }
      : {}),
  };
}

/** InvokeModel's `x-amzn-bedrock-*` headers; streams announce the model's content type instead. */
function invokeHeaders(usage: MockUsage, caching: boolean, stream: boolean): Record<string, string> {
  if (stream) return { "x-amzn-bedrock-content-type": "application/json" };
  return {
    "x-amzn-bedrock-input-token-count": String(uncachedInput(usage)),
    "x-amzn-bedrock-output-token-count": String(usage.outputTokens),
    ...(caching
      ? {
          "x-amzn-bedrock-cache-read-input-token-count": String(usage.cacheReadTokens),
          "x-amzn-bedrock-cache-write-input-token-count": String(usage.cacheWriteTokens),
        }
      : {}),
    "x-amzn-bedrock-invocation-latency": String(latencyMs(usage)),
  };
}

/** What a family can report: no cache buckets without caching, no reasoning bucket at all, no output for embeddings. */
function constrainTo(family: BedrockFamily) {
  return (usage: MockUsage): MockUsage => {
    const out = { ...usage, reasoningTokens: 0 };
    if (!CACHING.has(family)) {
      out.inputTokens = uncachedInput(usage);
      out.cacheReadTokens = 0;
      out.cacheWriteTokens = 0;
    }
    if (family === "titan-embed") out.outputTokens = 0;
    return out;
  };
}

// ---------------------------------------------------------------------------------------------------------
// The Converse message format (Converse for every family, and Nova's InvokeModel body)

interface ConversePrompt {
  segments: AnthropicSegment[];
  cachePoints: number;
}

/**
 * Converse input tokens, block by block in prompt order (tools → system → messages): a tool spec counts
 * tokens(JSON), a system or content block tokens(its text; other blocks as JSON), each message adds 4 on its
 * first block; plus 3 per prompt. A `cachePoint` block counts nothing and makes the block before it a cache
 * breakpoint (TTL `1h` if it says so, else 5 minutes).
 */
function conversePrompt(body: Record<string, unknown>): ConversePrompt {
  const segments: AnthropicSegment[] = [];
  let cachePoints = 0;
  const mark = (block: Record<string, unknown>) => {
    cachePoints++;
    const last = segments[segments.length - 1];
    const point = isRecord(block["cachePoint"]) ? block["cachePoint"] : {};
    if (last) last.breakpoint = point["ttl"] === "1h" ? "1h" : "5m";
  };
  const toolConfig = isRecord(body["toolConfig"]) ? body["toolConfig"] : {};
  for (const tool of Array.isArray(toolConfig["tools"]) ? toolConfig["tools"] : []) {
    if (isRecord(tool) && "cachePoint" in tool) mark(tool);
    else segments.push({ key: segmentKey("tool", tool), tokens: countTokens(stableJson(tool)) });
  }
  for (const block of Array.isArray(body["system"]) ? body["system"] : []) {
    if (isRecord(block) && "cachePoint" in block) mark(block);
    else segments.push({ key: segmentKey("system", block), tokens: countTokens(textOf(block)) });
  }
  for (const message of Array.isArray(body["messages"]) ? body["messages"] : []) {
    const m = isRecord(message) ? message : {};
    const role = String(m["role"]);
    let first = true;
    for (const block of Array.isArray(m["content"]) ? m["content"] : []) {
      if (isRecord(block) && "cachePoint" in block) {
        mark(block);
        continue;
      }
      const overhead = first ? MESSAGE_OVERHEAD_TOKENS : 0;
      segments.push({
        key: segmentKey(first ? `message:${role}` : "block", block),
        tokens: overhead + countTokens(textOf(block)),
      });
      first = false;
    }
    if (first) segments.push({ key: segmentKey(`message:${role}`, null), tokens: MESSAGE_OVERHEAD_TOKENS });
  }
  return { segments, cachePoints };
}

function validateConverse(body: Record<string, unknown>): HandlerResult | undefined {
  const messages = body["messages"];
  if (!Array.isArray(messages) || messages.length === 0) {
    return invalid("Malformed input request: messages must contain at least one message.");
  }
  for (const message of messages) {
    if (!isRecord(message) || (message["role"] !== "user" && message["role"] !== "assistant")) {
      return invalid("Malformed input request: each message needs a role of user or assistant.");
    }
    if (!Array.isArray(message["content"])) {
      return invalid("Malformed input request: each message needs a content array.");
    }
  }
  return undefined;
}

function pickConverseTool(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const toolConfig = isRecord(body["toolConfig"]) ? body["toolConfig"] : {};
  const specs = (Array.isArray(toolConfig["tools"]) ? toolConfig["tools"] : [])
    .map((t) => (isRecord(t) && isRecord(t["toolSpec"]) ? t["toolSpec"] : undefined))
    .filter((t): t is Record<string, unknown> => t !== undefined);
  if (specs.length === 0) return undefined;
  const choice = isRecord(toolConfig["toolChoice"]) ? toolConfig["toolChoice"] : { auto: {} };
  if (isRecord(choice["tool"])) return specs.find((s) => s["name"] === (choice["tool"] as any)["name"]);
  if ("any" in choice) return specs[0];
  // auto: call the first tool, unless the conversation just handed back a tool result.
  const messages = body["messages"] as Record<string, unknown>[];
  const content = messages[messages.length - 1]?.["content"];
  const answersTool = Array.isArray(content) && content.some((b) => isRecord(b) && "toolResult" in b);
  return answersTool ? undefined : specs[0];
}

type ConverseBlock = { text: string } | { toolUse: { toolUseId: string; name: string; input: unknown } };

interface ConverseAnswer {
  computed: MockUsage;
  block: ConverseBlock;
  stopReason: "end_turn" | "max_tokens" | "tool_use";
}

/** Computes the answer to a Converse-format request, or the error Bedrock would give. */
function converseAnswer(
  ctx: HandlerContext,
  family: BedrockFamily,
  maxTokens: number,
): ConverseAnswer | HandlerResult {
  const { body } = ctx;
  const problem = validateConverse(body);
  if (problem) return problem;
  const { segments, cachePoints } = conversePrompt(body);
  if (cachePoints > 0 && !CACHING.has(family)) {
    return invalid("You invoked an unsupported model or your request did not allow prompt caching.");
  }
  if (cachePoints > MAX_CACHE_POINTS) {
    return invalid(`A maximum of ${MAX_CACHE_POINTS} cache points may be provided. Found ${cachePoints}.`);
  }
  const inputTokens = PROMPT_OVERHEAD_TOKENS + segments.reduce((s, x) => s + x.tokens, 0);
  const cache: AnthropicCacheResult = ctx.anthropicCache.lookupAndStore(ctx.route.modelId!, segments);
  const tool = pickConverseTool(body);
  let block: ConverseBlock;
  let stopReason: ConverseAnswer["stopReason"];
  let outputTokens: number;
  if (tool) {
    const input = sampleFromSchema(isRecord(tool["inputSchema"]) ? tool["inputSchema"]["json"] : {});
    block = { toolUse: { toolUseId: `tooluse_${ids.callId().slice(5)}`, name: String(tool["name"]), input } };
    stopReason = "tool_use";
    outputTokens = countTokens(String(tool["name"])) + countTokens(JSON.stringify(input));
  } else {
    const cut = truncateToTokens(replyFor(stableJson([body["system"] ?? null, body["messages"]])), maxTokens);
    block = { text: cut.text };
    stopReason = cut.truncated ? "max_tokens" : "end_turn";
    outputTokens = countTokens(cut.text);
  }
  const computed: MockUsage = {
    inputTokens,
    outputTokens,
    cacheReadTokens: cache.read,
    cacheWriteTokens: cache.write5m + cache.write1h,
    reasoningTokens: 0,
  };
  return { computed, block, stopReason };
}

function isAnswer(value: ConverseAnswer | HandlerResult): value is ConverseAnswer {
  return "block" in value;
}

/** The content events of a Converse-format stream (ConverseStream events, or Nova's stream chunks). */
function contentEvents(block: ConverseBlock): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if ("text" in block) {
    for (const text of splitDeltas(block.text))
      out.push({ contentBlockDelta: { contentBlockIndex: 0, delta: { text } } });
  } else {
    const { toolUseId, name, input } = block.toolUse;
    out.push({ contentBlockStart: { contentBlockIndex: 0, start: { toolUse: { toolUseId, name } } } });
    for (const piece of splitFixed(JSON.stringify(input)))
      out.push({ contentBlockDelta: { contentBlockIndex: 0, delta: { toolUse: { input: piece } } } });
  }
  out.push({ contentBlockStop: { contentBlockIndex: 0 } });
  return out;
}

/** Converse's `usage`: `inputTokens` excludes cache reads and writes; `totalTokens` counts everything. */
function converseUsage(usage: MockUsage, caching: boolean) {
  return {
    inputTokens: uncachedInput(usage),
    outputTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens,
    ...(caching
      ? { cacheReadInputTokens: usage.cacheReadTokens, cacheWriteInputTokens: usage.cacheWriteTokens }
      : {}),
  };
}

function maxTokensOf(config: unknown): number {
  return (isRecord(config) ? optionalLimit(config["maxTokens"]) : undefined) ?? DEFAULT_MAX_TOKENS;
}

function unknownModel(modelId: string): HandlerResult {
  return invalid(`The provided model identifier is invalid (the mock does not simulate ${modelId}).`);
}

/** `POST /model/{modelId}/converse` and `/converse-stream`. */
export const handleBedrockConverse: Handler = (ctx: HandlerContext) => {
  const modelId = ctx.route.modelId!;
  const family = familyOf(modelId);
  if (!family) return unknownModel(modelId);
  if (family === "titan-embed") return invalid("This action doesn't support the model that you provided.");
  const answer = converseAnswer(ctx, family, maxTokensOf(ctx.body["inferenceConfig"]));
  if (!isAnswer(answer)) return answer;
  const caching = CACHING.has(family);
  const { block, stopReason } = answer;
  return {
    kind: "exchange",
    model: modelId,
    stream: ctx.route.stream === true,
    computed: answer.computed,
    constrain: constrainTo(family),
    render: (usage) => ({
      output: { message: { role: "assistant", content: [block] } },
      stopReason,
      usage: converseUsage(usage, caching),
      metrics: { latencyMs: latencyMs(usage) },
    }),
    events: () => [],
    eventStream: (usage) =>
      [
        { messageStart: { role: "assistant" } },
        ...contentEvents(block),
        { messageStop: { stopReason } },
        { metadata: { usage: converseUsage(usage, caching), metrics: { latencyMs: latencyMs(usage) } } },
      ].map((event) => {
        const [eventType, payload] = Object.entries(event)[0]!;
        return { eventType, payload: pad(payload as Record<string, unknown>) };
      }),
  };
};

// ---------------------------------------------------------------------------------------------------------
// InvokeModel, by family

/** `POST /model/{modelId}/invoke` and `/invoke-with-response-stream`: the body is the model's own format. */
export const handleBedrockInvoke: Handler = (ctx: HandlerContext) => {
  const modelId = ctx.route.modelId!;
  const family = familyOf(modelId);
  if (!family) return unknownModel(modelId);
  const stream = ctx.route.stream === true;
  if (stream && family === "titan-embed") return invalid("The model is unsupported for streaming.");
  switch (family) {
    case "anthropic":
      return invokeAnthropic(ctx, modelId, stream);
    case "nova":
      return invokeNova(ctx, modelId, stream);
    case "titan-embed":
      return invokeTitanEmbed(ctx, modelId);
    default:
      return invokePrompt(ctx, modelId, family, stream);
  }
};

/** Anthropic's Messages API body (with `anthropic_version`, without `model`), answered like `/v1/messages`. */
function invokeAnthropic(ctx: HandlerContext, modelId: string, stream: boolean): HandlerResult {
  const { body } = ctx;
  if (body["anthropic_version"] !== "bedrock-2023-05-31") {
    return invalid(
      'Malformed input request: #: required key [anthropic_version] not found or not "bedrock-2023-05-31"',
    );
  }
  if ("model" in body) return invalid("Malformed input request: #: extraneous key [model] is not permitted");
  // The cache is keyed by the Bedrock model id, so Bedrock and the Anthropic API never share entries.
  const inner = handleMessages({ ...ctx, body: { ...body, model: modelId } });
  if (inner.kind !== "exchange") return inner;
  const name = anthropicName(modelId);
  const toChunks = (events: SseEvent[], usage: MockUsage) =>
    events
      .map((e) => JSON.parse(e.data) as Record<string, any>)
      // Bedrock does not relay Anthropic's keep-alive pings.
      .filter((e) => e["type"] !== "ping")
      .map((e) => {
        if (e["type"] === "message_start") return { ...e, message: { ...e["message"], model: name } };
        if (e["type"] === "message_stop")
          return { ...e, "amazon-bedrock-invocationMetrics": invocationMetrics(usage, true) };
        return e;
      })
      .map(chunk);
  return {
    ...inner,
    stream,
    constrain: constrainTo("anthropic"),
    headers: (usage) => invokeHeaders(usage, true, stream),
    render: (usage) => ({ ...(inner.render(usage) as Record<string, unknown>), model: name }),
    events: () => [],
    eventStream: (usage) => toChunks(inner.events(usage), usage),
  };
}

/** Amazon Nova: the Converse message format in the body, its own `usage` field names in the answer. */
function invokeNova(ctx: HandlerContext, modelId: string, stream: boolean): HandlerResult {
  const answer = converseAnswer(ctx, "nova", maxTokensOf(ctx.body["inferenceConfig"]));
  if (!isAnswer(answer)) return answer;
  const { block, stopReason } = answer;
  const usageOf = (usage: MockUsage) => ({
    inputTokens: uncachedInput(usage),
    outputTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens,
    cacheReadInputTokenCount: usage.cacheReadTokens,
    cacheWriteInputTokenCount: usage.cacheWriteTokens,
  });
  return {
    kind: "exchange",
    model: modelId,
    stream,
    computed: answer.computed,
    constrain: constrainTo("nova"),
    headers: (usage) => invokeHeaders(usage, true, stream),
    render: (usage) => ({
      output: { message: { role: "assistant", content: [block] } },
      stopReason,
      usage: usageOf(usage),
    }),
    events: () => [],
    eventStream: (usage) =>
      [
        { messageStart: { role: "assistant" } },
        ...contentEvents(block),
        { messageStop: { stopReason } },
        {
          metadata: { usage: usageOf(usage), metrics: {}, trace: {} },
          "amazon-bedrock-invocationMetrics": invocationMetrics(usage, true),
        },
      ].map(chunk),
  };
}

function invokeTitanEmbed(ctx: HandlerContext, modelId: string): HandlerResult {
  const text = ctx.body["inputText"];
  if (typeof text !== "string" || text.length === 0) {
    return invalid("Malformed input request: #: required key [inputText] not found");
  }
  const dimensions =
    optionalLimit(ctx.body["dimensions"]) || (baseModelId(modelId).includes("-v1") ? 1536 : 1024);
  const embedding = mockEmbedding(modelId, text, dimensions);
  return {
    kind: "exchange",
    model: modelId,
    stream: false,
    computed: { ...zeroUsage(), inputTokens: countTokens(text) },
    constrain: constrainTo("titan-embed"),
    headers: (usage) => invokeHeaders(usage, false, false),
    render: (usage) => ({ embedding, inputTextTokenCount: usage.inputTokens }),
    events: () => [],
  };
}

const PROMPT_FIELDS: Record<
  "llama" | "titan-text" | "mistral",
  { prompt: string; limit: (b: any) => unknown }
> = {
  llama: { prompt: "prompt", limit: (b) => b["max_gen_len"] },
  "titan-text": { prompt: "inputText", limit: (b) => b["textGenerationConfig"]?.["maxTokenCount"] },
  mistral: { prompt: "prompt", limit: (b) => b["max_tokens"] },
};

/**
 * Prompt-completion families (Meta Llama, Amazon Titan Text, Mistral): input = 3 + tokens(prompt). Llama and
 * Titan report counts in the body; Mistral only in the `x-amzn-bedrock-*-token-count` headers (and, streamed,
 * in the final chunk's invocation metrics).
 */
function invokePrompt(
  ctx: HandlerContext,
  modelId: string,
  family: "llama" | "titan-text" | "mistral",
  stream: boolean,
): HandlerResult {
  const fields = PROMPT_FIELDS[family];
  const prompt = ctx.body[fields.prompt];
  if (typeof prompt !== "string" || prompt.length === 0) {
    return invalid(`Malformed input request: #: required key [${fields.prompt}] not found`);
  }
  const maxTokens = optionalLimit(fields.limit(ctx.body)) ?? DEFAULT_MAX_TOKENS;
  const cut = truncateToTokens(replyFor(prompt), maxTokens);
  const computed: MockUsage = {
    ...zeroUsage(),
    inputTokens: PROMPT_OVERHEAD_TOKENS + countTokens(prompt),
    outputTokens: countTokens(cut.text),
  };
  const pieces = splitDeltas(cut.text);
  const exchange: Exchange = {
    kind: "exchange",
    model: modelId,
    stream,
    computed,
    constrain: constrainTo(family),
    headers: (usage) => invokeHeaders(usage, false, stream),
    render: () => ({}),
    events: () => [],
  };
  // Cumulative output counts in stream chunks: each piece's share, the total reached on the last one.
  const runningOutput = (usage: MockUsage, i: number) =>
    Math.round((usage.outputTokens * (i + 1)) / Math.max(1, pieces.length));
  const metrics = (usage: MockUsage) => ({
    "amazon-bedrock-invocationMetrics": invocationMetrics(usage, false),
  });
  if (family === "llama") {
    const stop = cut.truncated ? "length" : "stop";
    exchange.render = (usage) => ({
      generation: cut.text,
      prompt_token_count: usage.inputTokens,
      generation_token_count: usage.outputTokens,
      stop_reason: stop,
    });
    exchange.eventStream = (usage) =>
      [
        ...pieces.map((generation, i) => ({
          generation,
          prompt_token_count: i === 0 ? usage.inputTokens : null,
          generation_token_count: runningOutput(usage, i),
          stop_reason: null,
        })),
        {
          generation: "",
          prompt_token_count: pieces.length === 0 ? usage.inputTokens : null,
          generation_token_count: usage.outputTokens,
          stop_reason: stop,
          ...metrics(usage),
        },
      ].map(chunk);
  } else if (family === "titan-text") {
    const reason = cut.truncated ? "LENGTH" : "FINISH";
    exchange.render = (usage) => ({
      inputTextTokenCount: usage.inputTokens,
      results: [{ tokenCount: usage.outputTokens, outputText: cut.text, completionReason: reason }],
    });
    exchange.eventStream = (usage) =>
      [
        ...pieces.map((outputText, i) => ({
          outputText,
          index: 0,
          totalOutputTextTokenCount: runningOutput(usage, i),
          completionReason: null,
          inputTextTokenCount: i === 0 ? usage.inputTokens : null,
        })),
        {
          outputText: "",
          index: 0,
          totalOutputTextTokenCount: usage.outputTokens,
          completionReason: reason,
          inputTextTokenCount: pieces.length === 0 ? usage.inputTokens : null,
          ...metrics(usage),
        },
      ].map(chunk);
  } else {
    const stop = cut.truncated ? "length" : "stop";
    exchange.render = () => ({ outputs: [{ text: cut.text, stop_reason: stop }] });
    exchange.eventStream = (usage) =>
      [
        ...pieces.map((text) => ({ outputs: [{ text, stop_reason: null }] })),
        { outputs: [{ text: "", stop_reason: stop }], ...metrics(usage) },
      ].map(chunk);
  }
  return exchange;
}
