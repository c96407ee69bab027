import type { Attributes, AttributeValue } from "@opentelemetry/api";
import { ConfigError } from "../../errors.js";
import type { Annotations, UsageEvent } from "../../types.js";
import * as sc from "./semconv.js";

/** costtrail operations → `gen_ai.operation.name`. Chat Completions, Responses and Messages are all chat turns. */
const OPERATION_NAMES: Record<string, string> = {
  chat: "chat",
  responses: "chat",
  messages: "chat",
  embeddings: "embeddings",
};

/** costtrail providers → `gen_ai.provider.name` well-known values. */
const PROVIDER_NAMES: Record<string, string> = {
  openai: "openai",
  "azure-openai": "azure.ai.openai",
  anthropic: "anthropic",
  bedrock: "aws.bedrock",
};

/** `openai.api.type` tells Chat Completions from Responses once both are `chat`. */
const OPENAI_API_TYPES: Record<string, string> = { chat: "chat_completions", responses: "responses" };

// Unknown values pass through: semconv allows custom values when no well-known one applies.
export const genAiOperationName = (operation: string): string => OPERATION_NAMES[operation] ?? operation;
export const genAiProviderName = (provider: string): string => PROVIDER_NAMES[provider] ?? provider;

export function spanName(event: UsageEvent): string {
  const op = genAiOperationName(event.operation);
  return event.requestModel ? `${op} ${event.requestModel}` : op;
}

/** `error.type` for failed calls, low-cardinality as semconv requires: the SDK error class, else the HTTP status. */
export function errorTypeOf(event: UsageEvent): string | undefined {
  if (event.status !== "error" && event.status !== "blocked") return undefined;
  if (event.errorType) return event.errorType;
  if (event.status === "blocked") return "LimitExceededError";
  if (event.httpStatus) return String(event.httpStatus);
  return "_OTHER";
}

/** Scalar annotations and the attribute each becomes (on spans, and on metrics when selected). */
const SCALAR_ANNOTATIONS = {
  useCaseName: sc.ATTR_USE_CASE_NAME,
  useCaseId: sc.ATTR_USE_CASE_ID,
  useCaseVersion: sc.ATTR_USE_CASE_VERSION,
  useCaseStep: sc.ATTR_USE_CASE_STEP,
  userId: sc.ATTR_USER_ID,
  accountName: sc.ATTR_ACCOUNT_NAME,
  priceAsResource: sc.ATTR_PRICE_AS_RESOURCE,
  priceAsCategory: sc.ATTR_PRICE_AS_CATEGORY,
  resourceScope: sc.ATTR_RESOURCE_SCOPE,
} as const satisfies Partial<Record<keyof Annotations, string>>;

type ScalarAnnotationKey = keyof typeof SCALAR_ANNOTATIONS;
const SCALAR_KEYS = Object.keys(SCALAR_ANNOTATIONS) as ScalarAnnotationKey[];

/**
 * An annotation that may become a metric attribute: a scalar annotation, or one key of a property map
 * (`"requestProperties.plan"`). Lists (`limitIds`, `requestTags`) are not offered: one series per combination.
 */
export type MetricAnnotationKey =
  | ScalarAnnotationKey
  | `requestProperties.${string}`
  | `useCaseProperties.${string}`;

/** Low-cardinality by construction: one value per use case / account, never per user or per instance. */
export const DEFAULT_METRIC_ANNOTATIONS: readonly MetricAnnotationKey[] = ["useCaseName", "accountName"];

function setIfPresent(attrs: Attributes, key: string, value: AttributeValue | undefined): void {
  if (value !== undefined && value !== null && value !== "") attrs[key] = value;
}

function setList(attrs: Attributes, key: string, list: readonly string[] | undefined): void {
  if (list && list.length > 0) attrs[key] = [...list];
}

/** Everything the event knows, for the span. Prompts and completions are not in the event, so never here. */
export function spanAttributes(event: UsageEvent): Attributes {
  const operation = genAiOperationName(event.operation);
  const attrs: Attributes = {
    [sc.ATTR_GEN_AI_OPERATION_NAME]: operation,
    [sc.ATTR_GEN_AI_PROVIDER_NAME]: genAiProviderName(event.provider),
    [sc.ATTR_GEN_AI_REQUEST_MODEL]: event.requestModel,
    [sc.ATTR_GEN_AI_REQUEST_STREAM]: event.stream,
  };
  setIfPresent(attrs, sc.ATTR_GEN_AI_RESPONSE_MODEL, event.responseModel);
  // Not on UsageEvent yet; picked up as soon as the core records it.
  setIfPresent(attrs, sc.ATTR_GEN_AI_RESPONSE_ID, (event as { responseId?: string }).responseId);
  if (event.provider === "openai")
    setIfPresent(attrs, sc.ATTR_OPENAI_API_TYPE, OPENAI_API_TYPES[event.operation]);

  const u = event.usage;
  attrs[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = u.inputTokens;
  // Embeddings produce vectors, not tokens: semconv's embeddings span has no output_tokens.
  if (operation !== "embeddings") attrs[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = u.outputTokens;
  if (u.cacheReadTokens > 0) attrs[sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = u.cacheReadTokens;
  if (u.cacheWriteTokens > 0) {
    // Both spellings while the rename is unreleased, so released-semconv backends and newer ones both see it.
    attrs[sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = u.cacheWriteTokens;
    attrs[sc.ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] = u.cacheWriteTokens;
  }
  if (u.reasoningTokens > 0) attrs[sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = u.reasoningTokens;
  if (event.stream && event.ttftMs !== undefined) {
    attrs[sc.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = event.ttftMs / 1000;
    attrs[sc.ATTR_TTFT_MS] = event.ttftMs;
  }
  setIfPresent(attrs, sc.ATTR_ERROR_TYPE, errorTypeOf(event));

  attrs[sc.ATTR_EVENT_ID] = event.id;
  attrs[sc.ATTR_STATUS] = event.status;
  attrs[sc.ATTR_STREAM] = event.stream;
  attrs[sc.ATTR_ATTEMPTS] = event.attempts;
  attrs[sc.ATTR_COST_SOURCE] = event.costSource;
  if (event.costMicros !== null) attrs[sc.ATTR_COST_USD_MICROS] = event.costMicros;
  setList(attrs, sc.ATTR_LIMITS_EXCEEDED, event.limitsExceeded);

  const a = event.annotations;
  for (const key of SCALAR_KEYS) setIfPresent(attrs, SCALAR_ANNOTATIONS[key], a[key]);
  setList(attrs, sc.ATTR_LIMIT_IDS, a.limitIds);
  setList(attrs, sc.ATTR_REQUEST_TAGS, a.requestTags);
  if (a.requestProperties) {
    for (const [k, v] of Object.entries(a.requestProperties))
      setIfPresent(attrs, sc.ATTR_PREFIX_REQUEST_PROPERTY + k, v);
  }
  if (a.useCaseProperties) {
    for (const [k, v] of Object.entries(a.useCaseProperties))
      setIfPresent(attrs, sc.ATTR_PREFIX_USE_CASE_PROPERTY + k, v);
  }
  return attrs;
}

/** One selected annotation: the attribute it becomes and how to read it. */
export interface MetricAnnotation {
  attribute: string;
  read(a: Annotations): string | number | undefined;
}

function compileKey(key: MetricAnnotationKey, field: string): MetricAnnotation {
  if (typeof key === "string") {
    if (key in SCALAR_ANNOTATIONS) {
      const k = key as ScalarAnnotationKey;
      return { attribute: SCALAR_ANNOTATIONS[k], read: (a) => a[k] ?? undefined };
    }
    const dot = key.indexOf(".");
    const map = key.slice(0, dot);
    const prop = key.slice(dot + 1);
    if (dot > 0 && prop !== "" && map === "requestProperties") {
      return { attribute: sc.ATTR_PREFIX_REQUEST_PROPERTY + prop, read: (a) => a.requestProperties?.[prop] };
    }
    if (dot > 0 && prop !== "" && map === "useCaseProperties") {
      return { attribute: sc.ATTR_PREFIX_USE_CASE_PROPERTY + prop, read: (a) => a.useCaseProperties?.[prop] };
    }
  }
  throw new ConfigError(
    field,
    `otelSink: metricAttributes: unknown annotation key ${JSON.stringify(key)}; expected one of ${SCALAR_KEYS.join(", ")}, "requestProperties.<key>" or "useCaseProperties.<key>"`,
  );
}

/** Resolve the defaults plus `add` minus `remove` once, at sink creation; throws ConfigError on unknown keys. */
export function compileMetricAnnotations(selection?: {
  add?: readonly MetricAnnotationKey[];
  remove?: readonly MetricAnnotationKey[];
}): MetricAnnotation[] {
  const remove = new Set<string>();
  selection?.remove?.forEach((k, i) => {
    remove.add(compileKey(k, `metricAttributes.remove.${i}`).attribute);
  });
  const out = new Map<string, MetricAnnotation>();
  const candidates = [
    ...DEFAULT_METRIC_ANNOTATIONS.map((k, i) => compileKey(k, `defaults.${i}`)),
    ...(selection?.add ?? []).map((k, i) => compileKey(k, `metricAttributes.add.${i}`)),
  ];
  for (const c of candidates) if (!remove.has(c.attribute)) out.set(c.attribute, c);
  return [...out.values()];
}

/** Attributes shared by every metric point of one event: semconv-required ones plus the selected annotations. */
export function baseMetricAttributes(event: UsageEvent, selected: readonly MetricAnnotation[]): Attributes {
  const attrs: Attributes = {
    [sc.ATTR_GEN_AI_OPERATION_NAME]: genAiOperationName(event.operation),
    [sc.ATTR_GEN_AI_PROVIDER_NAME]: genAiProviderName(event.provider),
    [sc.ATTR_GEN_AI_REQUEST_MODEL]: event.requestModel,
  };
  setIfPresent(attrs, sc.ATTR_GEN_AI_RESPONSE_MODEL, event.responseModel);
  for (const s of selected) setIfPresent(attrs, s.attribute, s.read(event.annotations));
  return attrs;
}
