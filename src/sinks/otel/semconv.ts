/**
 * Attribute and metric names. GenAI names follow the OpenTelemetry GenAI semantic conventions as last released
 * (semantic-conventions v1.41, the names `@opentelemetry/semantic-conventions` 1.45 ships in `incubating`), with
 * the one rename already merged upstream in open-telemetry/semantic-conventions-genai (#440, cache_creation →
 * cache_write) emitted alongside the released name. Spelled out here rather than imported because product code
 * may depend on `@opentelemetry/api` only, and the incubating entry point is not meant to be a runtime dependency.
 */

// --- GenAI semantic conventions (status: development) ---
export const ATTR_GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
export const ATTR_GEN_AI_PROVIDER_NAME = "gen_ai.provider.name";
export const ATTR_GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
export const ATTR_GEN_AI_RESPONSE_MODEL = "gen_ai.response.model";
export const ATTR_GEN_AI_RESPONSE_ID = "gen_ai.response.id";
export const ATTR_GEN_AI_REQUEST_STREAM = "gen_ai.request.stream";
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk";
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens";
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens";
/** Released name (semconv ≤ v1.41). */
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens";
/** Name on semantic-conventions-genai main since #440; not in a release yet. */
export const ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens";
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens";
export const ATTR_GEN_AI_TOKEN_TYPE = "gen_ai.token.type";
export const ATTR_OPENAI_API_TYPE = "openai.api.type";
export const ATTR_ERROR_TYPE = "error.type";

export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = "gen_ai.client.token.usage";
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = "gen_ai.client.operation.duration";
export const METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk";

/** Advised ExplicitBucketBoundaries for `gen_ai.client.token.usage`. */
export const TOKEN_USAGE_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** Advised ExplicitBucketBoundaries (seconds) for the duration and time-to-first-chunk histograms. */
export const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

// --- costtrail's own namespace ---
export const ATTR_COST_USD_MICROS = "costtrail.cost.usd_micros";
export const ATTR_COST_SOURCE = "costtrail.cost.source";
export const ATTR_EVENT_ID = "costtrail.event.id";
export const ATTR_STREAM = "costtrail.stream";
export const ATTR_STATUS = "costtrail.status";
export const ATTR_TTFT_MS = "costtrail.ttft_ms";
export const ATTR_ATTEMPTS = "costtrail.attempts";
export const ATTR_LIMITS_EXCEEDED = "costtrail.limits_exceeded";
export const ATTR_USE_CASE_NAME = "costtrail.use_case.name";
export const ATTR_USE_CASE_ID = "costtrail.use_case.id";
export const ATTR_USE_CASE_VERSION = "costtrail.use_case.version";
export const ATTR_USE_CASE_STEP = "costtrail.use_case.step";
export const ATTR_USER_ID = "costtrail.user.id";
export const ATTR_ACCOUNT_NAME = "costtrail.account.name";
export const ATTR_LIMIT_IDS = "costtrail.limit_ids";
export const ATTR_REQUEST_TAGS = "costtrail.request_tags";
export const ATTR_PRICE_AS_RESOURCE = "costtrail.price_as_resource";
export const ATTR_PRICE_AS_CATEGORY = "costtrail.price_as_category";
export const ATTR_RESOURCE_SCOPE = "costtrail.resource_scope";
export const ATTR_PREFIX_REQUEST_PROPERTY = "costtrail.request.property.";
export const ATTR_PREFIX_USE_CASE_PROPERTY = "costtrail.use_case.property.";

export const METRIC_COSTTRAIL_COST = "costtrail.cost";
/** KPI values recorded by `recordKpi` (docs/kpis.md), one point per record. */
export const METRIC_COSTTRAIL_KPI = "costtrail.kpi.value";
export const ATTR_KPI_NAME = "costtrail.kpi.name";
export const ATTR_KPI_KIND = "costtrail.kpi.kind";
export const ATTR_KPI_UNIT = "costtrail.kpi.unit";
/** Integer micro-dollars: exact sums, no float drift. Curly braces = UCUM annotation, as currencies are not UCUM. */
export const COST_UNIT = "{micro_usd}";
