import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { otelSink } from "../../src/sinks/otel/index.js";
import type { Sink, SinkRecord, UsageEvent } from "../../src/types.js";
import { FULL_ANNOTATIONS, hrToMs, makeEvent } from "./helpers.js";

let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});
beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
});
afterEach(async () => {
  await provider.shutdown();
});

/** What the core does: capture at call start, hand the batch over later. */
function record(sink: Sink, event: UsageEvent): SinkRecord {
  return { event, callContext: sink.captureContext?.() };
}

async function exportOne(event: UsageEvent): Promise<ReadableSpan> {
  const sink = otelSink({ tracerProvider: provider, metrics: false });
  sink.write([record(sink, event)]);
  await sink.flush?.();
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

describe("otelSink spans: attributes per call type", () => {
  it("OpenAI chat.completions: GenAI attributes, CLIENT kind, semconv span name, costtrail scope", async () => {
    const event = makeEvent({ provider: "openai", operation: "chat" });
    const span = await exportOne(event);
    expect(span.name).toBe("chat gpt-4o-mini");
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.instrumentationScope.name).toBe("costtrail");
    expect(span.instrumentationScope.version).toBe("0.1.0");
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
      "gen_ai.request.stream": false,
      "openai.api.type": "chat_completions",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 30,
      "costtrail.event.id": event.id,
      "costtrail.status": "ok",
      "costtrail.stream": false,
      "costtrail.attempts": 1,
      "costtrail.cost.source": "computed",
      "costtrail.cost.usd_micros": 4200,
    });
  });

  it("OpenAI responses → operation chat, openai.api.type responses, reasoning and cache-read tokens", async () => {
    const span = await exportOne(
      makeEvent({
        operation: "responses",
        requestModel: "o4-mini",
        responseModel: "o4-mini-2025-04-16",
        usage: { inputTokens: 2000, outputTokens: 900, cacheReadTokens: 1536, reasoningTokens: 640 },
      }),
    );
    expect(span.name).toBe("chat o4-mini");
    expect(span.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "openai.api.type": "responses",
      "gen_ai.usage.input_tokens": 2000,
      "gen_ai.usage.output_tokens": 900,
      "gen_ai.usage.cache_read.input_tokens": 1536,
      "gen_ai.usage.reasoning.output_tokens": 640,
    });
    expect(span.attributes).not.toHaveProperty("gen_ai.usage.cache_creation.input_tokens");
  });

  it("embeddings: operation embeddings, input tokens only", async () => {
    const span = await exportOne(
      makeEvent({
        operation: "embeddings",
        requestModel: "text-embedding-3-small",
        responseModel: "text-embedding-3-small",
        usage: { inputTokens: 64, outputTokens: 0 },
        costMicros: 1,
      }),
    );
    expect(span.name).toBe("embeddings text-embedding-3-small");
    expect(span.attributes["gen_ai.operation.name"]).toBe("embeddings");
    expect(span.attributes["gen_ai.usage.input_tokens"]).toBe(64);
    expect(span.attributes).not.toHaveProperty("gen_ai.usage.output_tokens");
    expect(span.attributes).not.toHaveProperty("openai.api.type");
  });

  it("Anthropic messages → chat / anthropic, cache write under both the released and the new name", async () => {
    const span = await exportOne(
      makeEvent({
        provider: "anthropic",
        operation: "messages",
        requestModel: "claude-sonnet-4-5",
        responseModel: "claude-sonnet-4-5-20250929",
        usage: { inputTokens: 5000, outputTokens: 200, cacheReadTokens: 3000, cacheWriteTokens: 1800 },
      }),
    );
    expect(span.name).toBe("chat claude-sonnet-4-5");
    expect(span.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "anthropic",
      "gen_ai.response.model": "claude-sonnet-4-5-20250929",
      "gen_ai.usage.input_tokens": 5000,
      "gen_ai.usage.cache_read.input_tokens": 3000,
      "gen_ai.usage.cache_creation.input_tokens": 1800,
      "gen_ai.usage.cache_write.input_tokens": 1800,
    });
    expect(span.attributes).not.toHaveProperty("openai.api.type");
  });

  it("maps Azure OpenAI and Bedrock to their well-known provider names, passes unknown ones through", async () => {
    expect(
      (await exportOne(makeEvent({ provider: "azure-openai" }))).attributes["gen_ai.provider.name"],
    ).toBe("azure.ai.openai");
    exporter.reset();
    expect((await exportOne(makeEvent({ provider: "bedrock" }))).attributes["gen_ai.provider.name"]).toBe(
      "aws.bedrock",
    );
    exporter.reset();
    const custom = await exportOne(makeEvent({ provider: "groq", operation: "text_completion" }));
    expect(custom.attributes["gen_ai.provider.name"]).toBe("groq");
    expect(custom.attributes["gen_ai.operation.name"]).toBe("text_completion");
  });

  it("stream: gen_ai.request.stream, time to first chunk in seconds and costtrail.ttft_ms", async () => {
    const span = await exportOne(makeEvent({ stream: true, ttftMs: 250 }));
    expect(span.attributes).toMatchObject({
      "gen_ai.request.stream": true,
      "gen_ai.response.time_to_first_chunk": 0.25,
      "costtrail.stream": true,
      "costtrail.ttft_ms": 250,
    });
  });

  it("every resolved annotation becomes a costtrail.* attribute; lists stay arrays", async () => {
    const span = await exportOne(
      makeEvent({ annotations: FULL_ANNOTATIONS, limitsExceeded: ["acme-monthly"] }),
    );
    expect(span.attributes).toMatchObject({
      "costtrail.use_case.name": "support-reply",
      "costtrail.use_case.id": "0190a5f2-7c1e-7000-8000-000000000001",
      "costtrail.use_case.version": 3,
      "costtrail.use_case.step": "draft",
      "costtrail.user.id": "user-42",
      "costtrail.account.name": "acme",
      "costtrail.limit_ids": ["acme-monthly", "global-daily"],
      "costtrail.request_tags": ["beta", "eu"],
      "costtrail.request.property.plan": "pro",
      "costtrail.request.property.region": "eu-west-1",
      "costtrail.use_case.property.channel": "email",
      "costtrail.price_as_resource": "gpt-4o",
      "costtrail.price_as_category": "llm",
      "costtrail.resource_scope": "team-a",
      "costtrail.limits_exceeded": ["acme-monthly"],
    });
  });

  it("unpriced: no cost attribute, source says why", async () => {
    const span = await exportOne(
      makeEvent({ requestModel: "my-finetune", costMicros: null, costSource: "unpriced" }),
    );
    expect(span.attributes).not.toHaveProperty("costtrail.cost.usd_micros");
    expect(span.attributes["costtrail.cost.source"]).toBe("unpriced");
  });

  it("a future responseId on the event becomes gen_ai.response.id", async () => {
    const span = await exportOne({ ...makeEvent(), responseId: "chatcmpl-123" } as UsageEvent);
    expect(span.attributes["gen_ai.response.id"]).toBe("chatcmpl-123");
  });
});

describe("otelSink spans: status", () => {
  it("error: ERROR status, error.type from the SDK error class, HTTP status in the message", async () => {
    const span = await exportOne(
      makeEvent({
        status: "error",
        errorType: "RateLimitError",
        httpStatus: 429,
        attempts: 3,
        usage: { inputTokens: 0, outputTokens: 0 },
        costMicros: 0,
      }),
    );
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "RateLimitError (HTTP 429)" });
    expect(span.attributes).toMatchObject({
      "error.type": "RateLimitError",
      "costtrail.status": "error",
      "costtrail.attempts": 3,
    });
  });

  it("error without a class falls back to the HTTP status, then to _OTHER", async () => {
    expect((await exportOne(makeEvent({ status: "error", httpStatus: 503 }))).attributes["error.type"]).toBe(
      "503",
    );
    exporter.reset();
    expect((await exportOne(makeEvent({ status: "error" }))).attributes["error.type"]).toBe("_OTHER");
  });

  it("blocked: ERROR status with error.type LimitExceededError", async () => {
    const span = await exportOne(
      makeEvent({
        status: "blocked",
        durationMs: 0.4,
        usage: { inputTokens: 0, outputTokens: 0 },
        costMicros: 0,
        annotations: { limitIds: ["acme-monthly"] },
      }),
    );
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.status.message).toMatch(/blocked/);
    expect(span.attributes).toMatchObject({
      "error.type": "LimitExceededError",
      "costtrail.status": "blocked",
    });
  });

  it("aborted: status stays UNSET, no error.type, costtrail.status says aborted", async () => {
    const span = await exportOne(
      makeEvent({ status: "aborted", stream: true, ttftMs: 300, errorType: "AbortError" }),
    );
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).not.toHaveProperty("error.type");
    expect(span.attributes["costtrail.status"]).toBe("aborted");
  });
});

describe("otelSink spans: timing and parenting", () => {
  it("starts at event.ts and ends at ts + durationMs", async () => {
    const event = makeEvent({ ts: "2026-01-02T03:04:05.678Z", durationMs: 2345.5 });
    const span = await exportOne(event);
    const start = Date.parse(event.ts);
    expect(hrToMs(span.startTime)).toBeCloseTo(start, 3);
    expect(hrToMs(span.endTime)).toBeCloseTo(start + 2345.5, 3);
    expect(hrToMs(span.duration)).toBeCloseTo(2345.5, 3);
  });

  it("nests under the user's active span captured at call start, written later outside it", async () => {
    const sink = otelSink({ tracerProvider: provider, metrics: false });
    const userTracer = provider.getTracer("app");
    let userSpanId = "";
    let traceId = "";
    const pending: SinkRecord[] = [];
    await userTracer.startActiveSpan("POST /reply", async (userSpan) => {
      userSpanId = userSpan.spanContext().spanId;
      traceId = userSpan.spanContext().traceId;
      await new Promise((r) => setTimeout(r, 1));
      pending.push(record(sink, makeEvent()));
      userSpan.end();
    });
    expect(trace.getActiveSpan()).toBeUndefined();
    sink.write(pending);
    await sink.flush?.();
    const span = exporter.getFinishedSpans().find((s) => s.name === "chat gpt-4o-mini");
    expect(span?.parentSpanContext?.spanId).toBe(userSpanId);
    expect(span?.spanContext().traceId).toBe(traceId);
  });

  it("keeps concurrent flows apart: each call nests under its own request's span", async () => {
    const sink = otelSink({ tracerProvider: provider, metrics: false });
    const userTracer = provider.getTracer("app");
    const pending: SinkRecord[] = [];
    const parents = new Map<string, string>();
    await Promise.all(
      ["a", "b", "c"].map((name, i) =>
        userTracer.startActiveSpan(`request ${name}`, async (span) => {
          await new Promise((r) => setTimeout(r, 3 - i));
          const event = makeEvent({ requestModel: `model-${name}` });
          parents.set(event.requestModel, span.spanContext().spanId);
          pending.push(record(sink, event));
          span.end();
        }),
      ),
    );
    sink.write(pending);
    await sink.flush?.();
    for (const [model, parentId] of parents) {
      const span = exporter.getFinishedSpans().find((s) => s.name === `chat ${model}`);
      expect(span?.parentSpanContext?.spanId).toBe(parentId);
    }
  });

  it("without a captured context the span is a root, even if something else is active at export time", async () => {
    const sink = otelSink({ tracerProvider: provider, metrics: false });
    await provider.getTracer("app").startActiveSpan("unrelated", async (span) => {
      sink.write([{ event: makeEvent() }, { event: makeEvent(), callContext: "not a context" }]);
      await sink.flush?.();
      span.end();
    });
    const costtrailSpans = exporter
      .getFinishedSpans()
      .filter((s) => s.instrumentationScope.name === "costtrail");
    expect(costtrailSpans).toHaveLength(2);
    for (const s of costtrailSpans) expect(s.parentSpanContext).toBeUndefined();
  });

  it("uses the global tracer provider by default, registered before or after the sink is created", async () => {
    const sink = otelSink({ metrics: false });
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    try {
      sink.write([record(sink, makeEvent())]);
      await sink.flush?.();
      expect(exporter.getFinishedSpans()).toHaveLength(1);
    } finally {
      trace.disable();
    }
  });
});

describe("otelSink spans: robustness and lifecycle", () => {
  it("never throws from write; a malformed event is dropped, the rest of the batch is exported", async () => {
    const sink = otelSink({ tracerProvider: provider, metrics: false });
    const bad = makeEvent({ ts: "not a date" });
    const worse = { event: null } as unknown as SinkRecord;
    expect(() =>
      sink.write([{ event: bad }, worse, { event: makeEvent({ requestModel: "ok-model" }) }]),
    ).not.toThrow();
    await expect(sink.flush?.()).resolves.toBeUndefined();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["chat ok-model"]);
  });

  it("never throws on a batch that is not an array", () => {
    const sink = otelSink({ tracerProvider: provider, metrics: false });
    expect(() => sink.write(null as never)).not.toThrow();
    expect(() => sink.write(42 as never)).not.toThrow();
  });

  it("never throws when the provider itself throws", async () => {
    const broken = {
      getTracer() {
        throw new Error("boom");
      },
    };
    const sink = otelSink({ tracerProvider: broken, metrics: false });
    expect(() => sink.write([{ event: makeEvent() }])).not.toThrow();
    await expect(sink.flush?.()).resolves.toBeUndefined();
  });

  it("spans: false → no span and no captureContext hook", async () => {
    const sink = otelSink({ tracerProvider: provider, spans: false, metrics: false });
    expect(sink.captureContext).toBeUndefined();
    sink.write([{ event: makeEvent() }]);
    await sink.flush?.();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it("write() only queues: the span is built on a later turn of the event loop, in one batch", async () => {
    const sink = otelSink({ tracerProvider: provider, metrics: false });
    sink.write([{ event: makeEvent() }]);
    sink.write([{ event: makeEvent() }]);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it("a burst larger than the queue bound is exported synchronously rather than held", async () => {
    let ended = 0;
    const counting = new BasicTracerProvider({
      spanProcessors: [
        { onStart() {}, onEnd: () => void ended++, forceFlush: async () => {}, shutdown: async () => {} },
      ],
    });
    const sink = otelSink({ tracerProvider: counting, metrics: false });
    sink.write(Array.from({ length: 4096 }, () => ({ event: makeEvent() })));
    expect(ended).toBe(4096);
    await counting.shutdown();
  });

  it("flush() force-flushes the provider; shutdown() stops writing but leaves the provider to its owner", async () => {
    const batchExporter = new InMemorySpanExporter();
    const batched = new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(batchExporter, { scheduledDelayMillis: 60_000 })],
    });
    const sink = otelSink({ tracerProvider: batched, metrics: false, name: "otel-test" });
    expect(sink.name).toBe("otel-test");
    sink.write([{ event: makeEvent() }]);
    expect(batchExporter.getFinishedSpans()).toHaveLength(0);
    await sink.flush?.();
    expect(batchExporter.getFinishedSpans()).toHaveLength(1);

    await sink.shutdown?.();
    sink.write([{ event: makeEvent() }]);
    await batched.forceFlush();
    expect(batchExporter.getFinishedSpans()).toHaveLength(1);
    // Still usable by the application.
    batched.getTracer("app").startSpan("after").end();
    await batched.forceFlush();
    expect(batchExporter.getFinishedSpans()).toHaveLength(2);
    await batched.shutdown();
  });
});
