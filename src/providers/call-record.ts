import { AsyncLocalStorage } from "node:async_hooks";
import { parseAnnotationHeaders } from "../annotations/headers.js";
import { newId } from "../context/ids.js";
import { resolveWith } from "../context/scope-tree.js";
import { LimitExceededError } from "../errors.js";
import { DEFAULT_RESERVED_OUTPUT_TOKENS, type LimitHold } from "../limits/gate.js";
import { log } from "../log.js";
import { getRuntime, type Runtime } from "../runtime.js";
import type { Annotations, EventStatus, ScopeAnnotations, TokenUsage, UsageEvent } from "../types.js";

export interface CallStart {
  provider: string;
  operation: string;
  requestModel: string;
  stream: boolean;
  /** The request options' headers (and the client's default headers), where `createHeaders` values live. */
  headers: unknown[];
  /** Rough input size from the request, for aborted streams and limit reservations. */
  estimateInputTokens: () => number;
  /** Upper bound of output tokens asked for (`max_tokens` …), if any. */
  maxOutputTokens?: number | undefined;
}

/** The call being made on this async path; the client's fetch patch counts its attempts. */
export const callStorage = new AsyncLocalStorage<CallRecord>();

const inflight = new Set<CallRecord>();

export function zeroUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

/** Logs an instrumentation failure once per place; the user's call goes on untouched. */
export function internalFailure(where: string, error: unknown): void {
  log.errorOnce(
    `internal:${where}`,
    `instrumentation failed in ${where}; the call itself is unaffected`,
    error,
  );
}

/**
 * One logical provider call, from `create()` to its single event. Every path — result parsed, stream ended,
 * broken, aborted or abandoned, request failed after retries — ends in `finish`, which emits exactly once.
 */
export class CallRecord {
  readonly id = newId();
  readonly startedAt = Date.now();
  private readonly t0 = performance.now();
  attempts = 0;
  httpStatus: number | undefined;
  responseModel: string | undefined;
  usage: TokenUsage = zeroUsage();
  /** True once the provider reported usage; otherwise aborted streams are estimated. */
  usageReported = false;
  /** Content-bearing stream items seen: ≈ output tokens when a stream ends before its usage arrives. */
  streamedItems = 0;
  /** The request carried `x-costtrail-*` headers, to be stripped before each attempt is sent. */
  hasAnnotationHeaders = false;
  /** The spending-limit reservation this call holds, settled with its real cost. */
  hold: LimitHold | undefined;
  limitsExceeded: string[] = [];
  private ttftMs: number | undefined;
  private done = false;

  constructor(
    private readonly runtime: Runtime,
    readonly start: CallStart,
    readonly annotations: Annotations,
    private readonly contexts: unknown[] | undefined,
  ) {
    inflight.add(this);
  }

  sawItem(contentBearing: boolean): void {
    this.ttftMs ??= performance.now() - this.t0;
    if (contentBearing) this.streamedItems++;
  }

  reportUsage(usage: Partial<TokenUsage>): void {
    Object.assign(this.usage, usage);
    this.usageReported = true;
  }

  fail(error: unknown): void {
    const { status, httpStatus, errorType } = classifyError(error);
    this.httpStatus = httpStatus ?? this.httpStatus;
    this.finish(status, errorType);
  }

  finish(status: EventStatus, errorType?: string): void {
    if (this.done) return;
    this.done = true;
    inflight.delete(this);
    try {
      const event = this.toEvent(status, errorType);
      if (this.hold) {
        try {
          for (const id of this.hold.settle(event.costMicros)) {
            if (!event.limitsExceeded.includes(id)) event.limitsExceeded.push(id);
          }
        } catch (error) {
          internalFailure("limits-settle", error);
        }
      }
      this.runtime.pipeline.emit(event, this.contexts);
    } catch (error) {
      internalFailure("event", error);
    }
  }

  private toEvent(status: EventStatus, errorType: string | undefined): UsageEvent {
    const { start } = this;
    if (!this.usageReported && (status === "aborted" || status === "error") && this.streamedItems > 0) {
      // The stream ended before the provider's usage arrived: estimate from what was sent and received.
      this.usage.inputTokens = safeEstimate(start.estimateInputTokens);
      this.usage.outputTokens = this.streamedItems;
    }
    const event: UsageEvent = {
      id: this.id,
      ts: new Date(this.startedAt).toISOString(),
      durationMs: Math.round((performance.now() - this.t0) * 1000) / 1000,
      provider: start.provider,
      operation: start.operation,
      requestModel: start.requestModel,
      stream: start.stream,
      status,
      attempts: Math.max(this.attempts, status === "blocked" ? 0 : 1),
      usage: this.usage,
      costMicros: null,
      currency: "USD",
      costSource: "unpriced",
      annotations: this.annotations,
      limitsExceeded: [...this.limitsExceeded],
    };
    if (this.ttftMs !== undefined) event.ttftMs = Math.round(this.ttftMs * 1000) / 1000;
    if (this.responseModel) event.responseModel = this.responseModel;
    if (this.httpStatus !== undefined) event.httpStatus = this.httpStatus;
    if (errorType) event.errorType = errorType;
    const price = this.runtime.price;
    if (price) Object.assign(event, price(event));
    return event;
  }
}

function safeEstimate(estimate: () => number): number {
  try {
    return Math.max(0, Math.round(estimate()));
  } catch {
    return 0;
  }
}

export function classifyError(error: unknown): {
  status: EventStatus;
  httpStatus?: number;
  errorType: string;
} {
  const e = error as { name?: string; status?: unknown; constructor?: { name?: string } } | undefined;
  const type =
    (e?.constructor?.name && e.constructor.name !== "Error" ? e.constructor.name : e?.name) || "Error";
  if (error instanceof LimitExceededError) return { status: "blocked", errorType: type };
  const aborted = type === "APIUserAbortError" || e?.name === "AbortError";
  const out: { status: EventStatus; httpStatus?: number; errorType: string } = {
    status: aborted ? "aborted" : "error",
    errorType: type,
  };
  if (typeof e?.status === "number") out.httpStatus = e.status;
  return out;
}

/**
 * Starts the record for one call: resolves annotations (scopes + the request's own headers) at call time.
 * Returns undefined when costtrail is not running. Only `LimitExceededError` may escape (a block limit).
 */
export function beginCall(start: CallStart): CallRecord | undefined {
  // Throws only LimitExceededError, after recording the blocked call.
  const runtime = getRuntime();
  if (!runtime) return undefined;
  // Each header source is a scope of its own (client defaults, then the request), merged like any other.
  const scopes: ScopeAnnotations[] = [];
  let hasAnnotationHeaders = false;
  for (const headers of start.headers) {
    const parsed = parseAnnotationHeaders(headers);
    if (parsed.names.length > 0) hasAnnotationHeaders = true;
    if (parsed.problem)
      log.warnOnce(`headers:${parsed.problem}`, `ignored a costtrail header: ${parsed.problem}`);
    if (parsed.scope) scopes.push(parsed.scope);
  }
  const annotations = resolveWith(scopes);
  if (annotations.priceAsCategory !== undefined && annotations.priceAsResource === undefined) {
    log.warnOnce(
      `category-without-resource:${annotations.priceAsCategory}`,
      `priceAsCategory "${annotations.priceAsCategory}" is ignored without priceAsResource`,
    );
  }
  const record = new CallRecord(runtime, start, annotations, runtime.pipeline.captureContexts());
  record.hasAnnotationHeaders = hasAnnotationHeaders;
  if (runtime.limits) reserveLimits(runtime, record);
  return record;
}

/** Reserves the call's worst-case cost against its limits; a block limit throws and records a blocked event. */
function reserveLimits(runtime: Runtime, record: CallRecord): void {
  const { start, annotations } = record;
  try {
    record.hold = runtime.limits!.reserve({
      annotations,
      provider: start.provider,
      requestModel: start.requestModel,
      reserveMicros: worstCaseMicros(runtime, record),
    });
  } catch (error) {
    if (error instanceof LimitExceededError) {
      record.limitsExceeded.push(error.limitId);
      record.finish("blocked", "LimitExceededError");
      throw error;
    }
    internalFailure("limits-reserve", error);
  }
}

function worstCaseMicros(runtime: Runtime, record: CallRecord): number {
  const { start } = record;
  const probe = {
    provider: start.provider,
    requestModel: start.requestModel,
    ts: new Date(record.startedAt).toISOString(),
    annotations: record.annotations,
    usage: {
      ...zeroUsage(),
      inputTokens: safeEstimate(start.estimateInputTokens),
      outputTokens: start.maxOutputTokens ?? DEFAULT_RESERVED_OUTPUT_TOKENS,
    },
  } as UsageEvent;
  return runtime.price?.(probe).costMicros ?? 0;
}

/** Calls whose result was never consumed (a stream never iterated, a promise never awaited) end here. */
export function finishAbandonedCalls(): void {
  for (const record of [...inflight]) record.finish("aborted", "Abandoned");
}
