/** Business context attached to provider calls. Fixed by SPEC §2: these names are public API. */
export interface Annotations {
  useCaseName?: string;
  /** The use-case *instance*. */
  useCaseId?: string;
  /** Integer ≥ 0. */
  useCaseVersion?: number;
  useCaseStep?: string;
  userId?: string;
  accountName?: string;
  limitIds?: string[];
  requestTags?: string[];
  requestProperties?: Record<string, string>;
  useCaseProperties?: Record<string, string>;
  priceAsResource?: string;
  priceAsCategory?: string;
  resourceScope?: string;
}

// Lists cannot be cleared (a scope only adds to them), so the array-typed keys take no `null`.
type Nullable<T> = { [K in keyof T]: NonNullable<T[K]> extends readonly unknown[] ? T[K] : T[K] | null };

/** What a scope may write: singletons and maps also accept `null`, meaning "clear what is inherited". */
export type ScopeAnnotations = Nullable<Annotations>;

export interface TokenUsage {
  /** Inclusive of cache reads and writes. */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  // Optional billable dimensions (docs/pricing.md "Dimensions"). Token parts are INCLUDED in the totals above.
  /** Of cacheWriteTokens: written with a 5-minute TTL. Writes not split by TTL count as 5-minute writes. */
  cacheWrite5mTokens?: number;
  /** Of cacheWriteTokens: written with a 1-hour TTL (Anthropic `cache_creation.ephemeral_1h_input_tokens`). */
  cacheWrite1hTokens?: number;
  /** Of inputTokens: audio input tokens. */
  audioInputTokens?: number;
  /** Of outputTokens: audio output tokens. */
  audioOutputTokens?: number;
  /** Of inputTokens: image input tokens, where the provider reports them. */
  imageInputTokens?: number;
  /** Server-side tool calls the provider bills per call, by kind. */
  serverToolCalls?: ServerToolCalls;
  /** The service tier the provider says it served ("flex", "priority", "batch", …), not the one asked for; absent = standard. */
  serviceTier?: string;
  /** Billed through a batch API (50% on most providers). */
  batch?: boolean;
  /** Where inference ran as the provider reports it: Anthropic `inference_geo`, or a Bedrock profile scope ("global", "us", …). */
  inferenceGeo?: string;
}

export interface ServerToolCalls {
  webSearch?: number;
  webFetch?: number;
  codeExecution?: number;
  fileSearch?: number;
}

/** Nano-USD per billable dimension; the parts sum to `costNanos`. Absent dimensions cost nothing. */
export type CostBreakdown = Partial<Record<CostDimension, number>>;

export type CostDimension =
  | "input"
  | "cacheRead"
  | "cacheWrite5m"
  | "cacheWrite1h"
  | "audioInput"
  | "audioCacheRead"
  | "imageInput"
  | "imageCacheRead"
  | "output"
  | "reasoning"
  | "audioOutput"
  | "imageOutput"
  | "webSearch"
  | "fileSearch"
  | "codeExecution"
  | "webFetch"
  | "requests"
  | "other";

export type EventStatus = "ok" | "error" | "aborted" | "blocked";
/**
 * "estimated": the provider reported no usage (a timeout, an abort or a cut stream before usage arrived) but may
 * have billed the call; `usage` and the cost are costtrail's estimate (docs/pricing.md "Estimated costs").
 */
export type CostSource = "computed" | "override" | "unpriced" | "estimated";

/** One per logical provider call (retries included). SPEC §5. */
export interface UsageEvent {
  id: string;
  /** ISO time the call started. */
  ts: string;
  durationMs: number;
  ttftMs?: number;
  provider: "openai" | "azure-openai" | "anthropic" | "bedrock" | (string & {});
  operation: "chat" | "responses" | "embeddings" | "messages" | (string & {});
  requestModel: string;
  responseModel?: string;
  stream: boolean;
  status: EventStatus;
  httpStatus?: number;
  errorType?: string;
  attempts: number;
  usage: TokenUsage;
  /**
   * Integer micro-USD, derived from costNanos rounded UP (a non-zero cost never shows as 0); null when the model
   * has no known price. A convenience: exact figures and sums use costNanos.
   */
  costMicros: number | null;
  /** Integer nano-USD, the exact cost (sum of costBreakdown); null when unpriced. Absent on events priced elsewhere. */
  costNanos?: number | null;
  /** Nano-USD per billable dimension. */
  costBreakdown?: CostBreakdown;
  /**
   * Integer nano-USD costtrail estimates for earlier attempts of this call that timed out unanswered before a
   * retry was answered: the provider may have billed them, but reported no usage. Not part of `costNanos`;
   * reports show it in the estimated column (docs/pricing.md "Estimated costs"). Absent when there were none.
   */
  estimatedNanos?: number;
  /** Where the price came from: `genai-prices@0.1.8`, `override:<model>`, `table:<date>` (joined with "+"). */
  priceSource?: string;
  currency: "USD";
  costSource: CostSource;
  annotations: Annotations;
  limitsExceeded: string[];
  /**
   * Counts the provider sent that costtrail could not trust (negative, fractional, not finite, above the
   * ceiling), each with its value and why: they are left out of `usage` (docs/providers.md). Absent when all
   * could be trusted; not stored by the ledger.
   */
  usageIssues?: string[];
}

export type LimitWindow = "day" | "week" | "month" | "total";
export type LimitMode = "allow" | "block";

export interface LimitDefinition {
  id: string;
  maxUsd: number;
  window: LimitWindow;
  mode: LimitMode;
  alertAtPct?: number;
  scope?: Partial<Pick<Annotations, "userId" | "accountName" | "useCaseName">>;
}

/**
 * A price override, USD per million tokens, for negotiated rates, fine-tunes and deployments. Wins over the
 * bundled table. Either token rates (inputPerMTok + outputPerMTok) or a discountPct off the table's prices
 * (or both: a discount off the override's rates). See docs/pricing.md "Overrides".
 */
export interface PriceOverride {
  /**
   * Model (or Azure deployment) name as it appears in `requestModel` / `responseModel`, or as named by
   * `priceAsResource`. `*` matches any characters: `ft:gpt-4o-mini:*`, `my-deployment-*`, `*`.
   */
  model: string;
  /** Restrict to one provider; any provider when absent. */
  provider?: string;
  /** Restrict to calls annotated with this accountName (per-account negotiated prices). */
  accountName?: string;
  inputPerMTok?: number;
  outputPerMTok?: number;
  /** Default: the table's cache-read discount applied to inputPerMTok, or inputPerMTok for a model the table lacks. */
  cacheReadPerMTok?: number;
  /** 5-minute cache writes. Default as cacheReadPerMTok, from the table's cache-write ratio. */
  cacheWritePerMTok?: number;
  /** 1-hour cache writes. Default as cacheReadPerMTok, from the table's 1-hour ratio. */
  cacheWrite1hPerMTok?: number;
  /** Percent off every rate (tokens and per-call fees), 0–100. */
  discountPct?: number;
}

export interface Logger {
  debug?(message: string, ...rest: unknown[]): void;
  info?(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

/** One event handed to a sink, with what the sink captured when the call started (see `Sink.captureContext`). */
export interface SinkRecord {
  event: UsageEvent;
  callContext?: unknown;
}

/**
 * A destination for usage events (the ledger, OpenTelemetry, …). Sinks receive batches off the call path:
 * `write` is never awaited by a provider call, and a sink that throws or rejects is logged, not propagated.
 */
export interface Sink {
  readonly name: string;
  /**
   * Optional. Called synchronously in the caller's async context when a provider call starts (e.g. to capture
   * the active OpenTelemetry context so the span can be parented). The value comes back as `callContext`.
   */
  captureContext?(): unknown;
  write(batch: readonly SinkRecord[]): void | Promise<void>;
  /** Optional. KPI records (`recordKpi`), handed over like events; sinks without it never see KPIs. */
  writeKpis?(batch: readonly KpiRecord[]): void | Promise<void>;
  /** Resolve once everything written so far is durable. */
  flush?(): Promise<void>;
  /** Flush and release resources. */
  shutdown?(): Promise<void>;
}

/** Handed to `onLimitAlert` when a limit crosses its alert threshold or 100 %, once per window. */
export interface LimitAlert {
  limitId: string;
  window: LimitWindow;
  /** The threshold crossed, in percent: `alertAtPct` or 100. */
  thresholdPct: number;
  spentUsd: number;
  maxUsd: number;
  /** ISO start of the window the alert belongs to. */
  windowStart: string;
}

export interface InstrumentConfig {
  /** One process-wide root scope (scripts). Web servers set `false`. Default true. */
  globalInstrumentation?: boolean;
  /** Annotations of the root scope. */
  defaults?: ScopeAnnotations;
  /**
   * Where events are kept: a SQLite file path, `":memory:"`, a `postgres://` URL (the fleet ledger, docs/fleet.md),
   * or `false` for none. Default: the `COSTTRAIL_LEDGER` environment variable, else `.costtrail/ledger.db`.
   */
  ledger?: string | false;
  onEvent?: (event: UsageEvent) => void;
  onLimitAlert?: (alert: LimitAlert) => void;
  sinks?: Sink[];
  limits?: LimitDefinition[];
  prices?: PriceOverride[];
  /**
   * KPI definitions: kind, goal and ROI role of the outcomes `recordKpi` records, or the path of a JSON file
   * holding them (see docs/kpis.md).
   */
  kpis?: KpiDefinition[] | string;
  /** Keep `x-costtrail-*` headers on outgoing requests (e.g. behind a gateway that reads them). Default false. */
  forwardHeaders?: boolean;
  /**
   * A call with no sign of life (no response, no stream item) for this long is taken as abandoned: recorded as
   * `aborted` / `Abandoned`, its limit reservation settled with what it is known to have cost, or released.
   * Default 600000 (10 minutes, the OpenAI and Anthropic SDKs' default request timeout); at least 1000.
   */
  abandonedCallTimeoutMs?: number;
  /**
   * When the ledger holding the limits cannot be reached in time as a call is checked (a Postgres server is down,
   * another process holds a SQLite file's write lock): `"allow"` lets the call through and counts its cost once
   * the ledger is back; `"block"` refuses calls under a block limit with `LimitExceededError`. Said once per
   * outage. Default `"allow"` (docs/limits.md).
   */
  limitsWhenLedgerDown?: "allow" | "block";
  /**
   * The longest a spending-limit reservation counts, however long its call runs: past it, the reservation
   * lapses (the call's real cost is still added when it ends). Default 300000 (5 minutes); at least 1000.
   */
  reservationMaxAgeMs?: number;
  logger?: Logger;
}

/** What a KPI measures: a count, a yes/no outcome (rate), money (USD; revenue or savings for ROI), any number. */
export type KpiKind = "count" | "boolean" | "usd" | "number";

/** A KPI value: a number, a boolean (true = 1) or a number with its unit (`{ value: 12.5, unit: "USD" }`). */
export type KpiValue = number | boolean | { value: number; unit: string };

/** The use-case instance a KPI belongs to, when it is recorded outside that instance's scope. */
export interface KpiTarget {
  useCaseName: string;
  useCaseId: string;
}

export type KpiGoalOp = ">=" | ">" | "<=" | "<" | "=";

/** A KPI definition in `instrument({ kpis })`. Undefined KPIs are still recorded (kind inferred) and flagged. */
export interface KpiDefinition {
  name: string;
  /** The use case (useCaseName) the KPI belongs to. */
  useCase: string;
  kind: KpiKind;
  /** What good looks like: compared with the rate (boolean KPIs) or the average per instance (others). */
  goal?: { op: KpiGoalOp; value: number };
  /** For `usd` KPIs: the value is revenue or savings the use case brings, so reports show ROI against its cost. */
  roi?: boolean;
  description?: string;
}

/** One recorded KPI, as sinks receive it (`Sink.writeKpis`). */
export interface KpiRecord {
  id: string;
  /** ISO time it was recorded. */
  ts: string;
  name: string;
  /** The value as a number (booleans: 1 or 0). */
  value: number;
  unit?: string;
  /** Inferred from the value: boolean for booleans, usd for unit "USD", count for integers, number otherwise. */
  kind: KpiKind;
  useCaseName: string;
  useCaseId: string;
  /** From the active scope when recorded inside the instance (absent for records by target). */
  useCaseVersion?: number;
  userId?: string;
  accountName?: string;
}

/**
 * Where the annotations a batch was created under are kept, so its results read later, or in another process,
 * are attributed to them (docs/providers.md "Batch APIs"): the ledger's `batch_scopes` table. Internal.
 */
export interface BatchScopeStore {
  /** Never throws. */
  remember(provider: string, batchId: string, annotations: Annotations): void;
  /** Never throws or rejects; undefined when the batch is not known there. A promise on Postgres. */
  lookup(provider: string, batchId: string): Annotations | undefined | Promise<Annotations | undefined>;
}
