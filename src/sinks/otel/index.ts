import { createRequire } from "node:module";
import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  MeterProvider,
  Tracer,
  TracerProvider,
} from "@opentelemetry/api";
import {
  context,
  diag,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  ValueType,
} from "@opentelemetry/api";
import type { Sink, SinkRecord, UsageEvent } from "../../types.js";
import {
  baseMetricAttributes,
  compileMetricAnnotations,
  errorTypeOf,
  genAiOperationName,
  type MetricAnnotation,
  type MetricAnnotationKey,
  spanAttributes,
  spanName,
} from "./attributes.js";
import { validateOtelSinkOptions } from "./options.js";
import * as sc from "./semconv.js";

export type { MetricAnnotationKey } from "./attributes.js";

export interface OtelSinkOptions {
  /** Where spans go. Default: the global provider (`trace.getTracerProvider()`), e.g. the one NodeSDK registers. */
  tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
  /**
   * Which annotations become metric attributes, on top of the GenAI ones. Default `useCaseName` and `accountName`.
   * `add` / `remove` adjust that set; per-user or per-instance keys multiply series, add them knowingly.
   */
  metricAttributes?: { add?: readonly MetricAnnotationKey[]; remove?: readonly MetricAnnotationKey[] };
  /** Emit one span per call. Default true. */
  spans?: boolean;
  /** Record the token, duration and cost metrics. Default true. */
  metrics?: boolean;
  /** Sink name in costtrail's logs. Default `"otel"`. */
  name?: string;
}

const SCOPE_NAME = "costtrail";
/** Records held between two turns of the event loop before the sink exports synchronously instead. */
const MAX_QUEUE = 4096;

/** Read lazily and once; the self-reference resolves from both `src/` and `dist/`. */
let scopeVersion: string | undefined | null = null;
function version(): string | undefined {
  if (scopeVersion === null) {
    try {
      scopeVersion = (createRequire(import.meta.url)("costtrail/package.json") as { version?: string })
        .version;
    } catch {
      scopeVersion = undefined;
    }
  }
  return scopeVersion;
}

interface Instruments {
  provider: MeterProvider;
  tokenUsage: Histogram;
  duration: Histogram;
  timeToFirstChunk: Histogram;
  cost: Counter;
}

function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(SCOPE_NAME, version());
  return {
    provider,
    tokenUsage: meter.createHistogram(sc.METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: "Number of input and output tokens used.",
      unit: "{token}",
      valueType: ValueType.INT,
      advice: { explicitBucketBoundaries: sc.TOKEN_USAGE_BUCKETS },
    }),
    duration: meter.createHistogram(sc.METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: "GenAI operation duration.",
      unit: "s",
      advice: { explicitBucketBoundaries: sc.DURATION_BUCKETS },
    }),
    timeToFirstChunk: meter.createHistogram(sc.METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK, {
      description: "Time to receive the first chunk of a streaming response.",
      unit: "s",
      advice: { explicitBucketBoundaries: sc.DURATION_BUCKETS },
    }),
    cost: meter.createCounter(sc.METRIC_COSTTRAIL_COST, {
      description: "Cost of GenAI calls in micro-USD (1e-6 USD). Unpriced calls are not counted.",
      unit: sc.COST_UNIT,
      valueType: ValueType.INT,
    }),
  };
}

function isContext(value: unknown): value is Context {
  return typeof value === "object" && value !== null && typeof (value as Context).getValue === "function";
}

function statusMessage(event: UsageEvent): string {
  if (event.status === "blocked") return "blocked by a costtrail limit; the provider was not called";
  const type = errorTypeOf(event) ?? "_OTHER";
  return event.httpStatus ? `${type} (HTTP ${event.httpStatus})` : type;
}

function emitSpan(tracer: Tracer, record: SinkRecord): void {
  const event = record.event;
  const start = Date.parse(event.ts);
  if (!Number.isFinite(start)) throw new Error(`invalid ts ${JSON.stringify(event.ts)}`);
  // No captured context (e.g. the sink was added mid-call) → a root span, never whatever happens to be active now.
  const parent = isContext(record.callContext) ? record.callContext : ROOT_CONTEXT;
  const span = tracer.startSpan(
    spanName(event),
    { kind: SpanKind.CLIENT, startTime: start, attributes: spanAttributes(event) },
    parent,
  );
  // `aborted` stays UNSET: the caller chose to stop (client gone, stream dropped); it is not a provider failure.
  if (event.status === "error" || event.status === "blocked") {
    span.setStatus({ code: SpanStatusCode.ERROR, message: statusMessage(event) });
  }
  span.end(start + Math.max(0, event.durationMs));
}

function recordMetrics(inst: Instruments, event: UsageEvent, selected: readonly MetricAnnotation[]): void {
  const base = baseMetricAttributes(event, selected);
  const outcome: Attributes = { ...base, [sc.ATTR_STATUS]: event.status };
  const errorType = errorTypeOf(event);
  if (errorType !== undefined) outcome[sc.ATTR_ERROR_TYPE] = errorType;

  inst.duration.record(Math.max(0, event.durationMs) / 1000, outcome);
  if (event.stream && event.ttftMs !== undefined) inst.timeToFirstChunk.record(event.ttftMs / 1000, base);

  // Token distributions describe completed calls: failed/blocked ones report 0 and would skew them; an aborted
  // stream counts only if the provider reported usage before it stopped.
  const u = event.usage;
  const tokensKnown =
    event.status === "ok" || (event.status === "aborted" && u.inputTokens + u.outputTokens > 0);
  if (tokensKnown) {
    inst.tokenUsage.record(u.inputTokens, { ...base, [sc.ATTR_GEN_AI_TOKEN_TYPE]: "input" });
    if (genAiOperationName(event.operation) !== "embeddings") {
      inst.tokenUsage.record(u.outputTokens, { ...base, [sc.ATTR_GEN_AI_TOKEN_TYPE]: "output" });
    }
  }
  if (event.costMicros !== null && event.costMicros >= 0) inst.cost.add(event.costMicros, outcome);
}

type Flushable = { forceFlush?: () => Promise<void>; getDelegate?: () => unknown };

/** The API interfaces have no forceFlush; SDK providers do (the global tracer provider is a proxy to unwrap). */
async function forceFlush(provider: unknown): Promise<void> {
  let target = provider as Flushable | undefined;
  if (typeof target?.getDelegate === "function") target = target.getDelegate() as Flushable | undefined;
  if (typeof target?.forceFlush === "function") await target.forceFlush();
}

/**
 * A costtrail sink exporting each usage event as an OpenTelemetry span (GenAI semantic conventions plus
 * `costtrail.*` cost and annotation attributes) and as GenAI client metrics plus a `costtrail.cost` counter.
 * Depends on `@opentelemetry/api` only: bring your own SDK and exporter. Never throws from `write`.
 */
export function otelSink(options: OtelSinkOptions = {}): Sink {
  validateOtelSinkOptions(options);
  const wantSpans = options.spans !== false;
  const wantMetrics = options.metrics !== false;
  // Compiled up front so a bad key fails at configuration time, not silently per event.
  const selected = compileMetricAnnotations(options.metricAttributes);
  let closed = false;

  // Providers are resolved at write time, not here: the global ones are often registered (NodeSDK.start())
  // after the sink is created, and a meter taken from the pre-registration no-op provider stays a no-op.
  let tracerCache: { provider: TracerProvider; tracer: Tracer } | undefined;
  let instrumentCache: Instruments | undefined;
  const tracerProvider = () => options.tracerProvider ?? trace.getTracerProvider();
  const meterProvider = () => options.meterProvider ?? metrics.getMeterProvider();

  const tracer = (): Tracer => {
    const provider = tracerProvider();
    if (tracerCache?.provider !== provider) {
      tracerCache = { provider, tracer: provider.getTracer(SCOPE_NAME, version()) };
    }
    return tracerCache.tracer;
  };
  const instruments = (): Instruments => {
    const provider = meterProvider();
    if (instrumentCache?.provider !== provider) instrumentCache = createInstruments(provider);
    return instrumentCache;
  };

  /** Turns queued records into spans and metric points. Never throws. */
  const exportRecords = (batch: readonly SinkRecord[]): void => {
    let t: Tracer | undefined;
    let inst: Instruments | undefined;
    try {
      t = wantSpans ? tracer() : undefined;
      inst = wantMetrics ? instruments() : undefined;
    } catch (err) {
      diag.warn("costtrail otelSink: cannot get a tracer or meter", err);
      return;
    }
    // Per event, so one malformed event does not cost the rest of the batch.
    for (const record of batch) {
      try {
        if (t) emitSpan(t, record);
        if (inst) recordMetrics(inst, record.event, selected);
      } catch (err) {
        diag.warn(`costtrail otelSink: dropped event ${record?.event?.id}`, err);
      }
    }
  };

  // The core calls `write` synchronously as each provider call settles, one event at a time; building a span
  // and its metric points costs tens of µs (mostly SDK attribute handling), so do it on a later turn of the
  // event loop, batched. Explicit start/end times and the captured parent make the result identical.
  let queue: SinkRecord[] = [];
  let scheduled = false;
  const drain = (): void => {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    exportRecords(batch);
  };

  const sink: Sink = {
    name: options.name ?? "otel",
    write(batch) {
      if (closed) return;
      try {
        for (const record of batch) queue.push(record);
      } catch (err) {
        diag.warn("costtrail otelSink: write() needs an array of records", err);
      }
      // Bounded memory even if one turn of the loop produces an unusual burst: export it now instead.
      if (queue.length >= MAX_QUEUE) drain();
      else if (!scheduled && queue.length > 0) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    async flush() {
      drain();
      try {
        await Promise.all([
          wantSpans ? forceFlush(tracerProvider()) : undefined,
          wantMetrics ? forceFlush(meterProvider()) : undefined,
        ]);
      } catch (err) {
        diag.warn("costtrail otelSink: flush failed", err);
      }
    },
    // The providers belong to the application: flush them, but leave shutting them down to their owner.
    async shutdown() {
      closed = true;
      await sink.flush?.();
    },
  };
  // Only when spans are on: the core calls it on every provider call, so skip the work when nothing uses it.
  if (wantSpans) sink.captureContext = () => context.active();
  return sink;
}
