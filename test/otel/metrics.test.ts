import { metrics } from "@opentelemetry/api";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { type OtelSinkOptions, otelSink } from "../../src/sinks/otel/index.js";
import type { UsageEvent } from "../../src/types.js";
import { FULL_ANNOTATIONS, makeEvent } from "./helpers.js";

const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const SECONDS_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

let exporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let provider: MeterProvider;

beforeEach(() => {
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: collection happens only when the test force-flushes.
  reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  provider = new MeterProvider({ readers: [reader] });
});
afterEach(async () => {
  await provider.shutdown();
});

async function collect(): Promise<Map<string, MetricData>> {
  await reader.forceFlush();
  const out = new Map<string, MetricData>();
  const last = exporter.getMetrics().at(-1);
  for (const scope of last?.scopeMetrics ?? []) {
    expect(scope.scope.name).toBe("costtrail");
    for (const m of scope.metrics) out.set(m.descriptor.name, m);
  }
  return out;
}

async function run(events: UsageEvent[], options: OtelSinkOptions = {}): Promise<Map<string, MetricData>> {
  const sink = otelSink({ meterProvider: provider, spans: false, ...options });
  sink.write(events.map((event) => ({ event })));
  await sink.flush?.();
  return collect();
}

const points = (m: MetricData | undefined) => (m?.dataPoints ?? []) as DataPoint<number | Histogram>[];
const histogram = (p: DataPoint<number | Histogram> | undefined) => p?.value as Histogram;

describe("otelSink metrics: instruments", () => {
  it("gen_ai.client.token.usage: {token} histogram with semconv buckets, one point per token type", async () => {
    const got = await run([
      makeEvent({ usage: { inputTokens: 100, outputTokens: 20 } }),
      makeEvent({ usage: { inputTokens: 300, outputTokens: 40 } }),
    ]);
    const m = got.get("gen_ai.client.token.usage");
    expect(m?.descriptor.unit).toBe("{token}");
    const byType = new Map(points(m).map((p) => [p.attributes["gen_ai.token.type"], histogram(p)]));
    expect([...byType.keys()].sort()).toEqual(["input", "output"]);
    expect(byType.get("input")).toMatchObject({ sum: 400, count: 2, min: 100, max: 300 });
    expect(byType.get("output")).toMatchObject({ sum: 60, count: 2 });
    expect(byType.get("input")?.buckets.boundaries).toEqual(TOKEN_BUCKETS);
  });

  it("gen_ai.client.operation.duration: seconds, semconv buckets", async () => {
    const got = await run([makeEvent({ durationMs: 1234 })]);
    const m = got.get("gen_ai.client.operation.duration");
    expect(m?.descriptor.unit).toBe("s");
    const h = histogram(points(m)[0]);
    expect(h.sum).toBeCloseTo(1.234, 6);
    expect(h.buckets.boundaries).toEqual(SECONDS_BUCKETS);
  });

  it("costtrail.cost: integer micro-USD counter; unpriced calls add nothing", async () => {
    const got = await run([
      makeEvent({ costMicros: 4200 }),
      makeEvent({ costMicros: 800 }),
      makeEvent({ costMicros: null, costSource: "unpriced" }),
    ]);
    const m = got.get("costtrail.cost");
    expect(m?.descriptor.unit).toBe("{micro_usd}");
    expect(points(m)).toHaveLength(1);
    expect(points(m)[0]?.value).toBe(5000);
  });

  it("time to first chunk only for streams", async () => {
    const got = await run([makeEvent({ stream: true, ttftMs: 180 }), makeEvent({ stream: false })]);
    const m = got.get("gen_ai.client.operation.time_to_first_chunk");
    expect(m?.descriptor.unit).toBe("s");
    const h = histogram(points(m)[0]);
    expect(h).toMatchObject({ count: 1 });
    expect(h.sum).toBeCloseTo(0.18, 6);
  });

  it("embeddings record input tokens only", async () => {
    const got = await run([
      makeEvent({
        operation: "embeddings",
        requestModel: "text-embedding-3-small",
        usage: { inputTokens: 64 },
      }),
    ]);
    const types = points(got.get("gen_ai.client.token.usage")).map((p) => p.attributes["gen_ai.token.type"]);
    expect(types).toEqual(["input"]);
  });

  it("failures: duration and cost carry error.type and status; token usage skips them", async () => {
    const got = await run([
      makeEvent({
        status: "error",
        errorType: "RateLimitError",
        usage: { inputTokens: 0, outputTokens: 0 },
        costMicros: 0,
      }),
      makeEvent({ status: "blocked", usage: { inputTokens: 0, outputTokens: 0 }, costMicros: 0 }),
    ]);
    const durations = points(got.get("gen_ai.client.operation.duration")).map((p) => p.attributes);
    expect(durations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ "error.type": "RateLimitError", "costtrail.status": "error" }),
        expect.objectContaining({ "error.type": "LimitExceededError", "costtrail.status": "blocked" }),
      ]),
    );
    expect(points(got.get("costtrail.cost")).every((p) => p.attributes["error.type"] !== undefined)).toBe(
      true,
    );
    expect(got.has("gen_ai.client.token.usage")).toBe(false);
  });

  it("aborted streams count tokens only when usage arrived before the abort", async () => {
    const got = await run([
      makeEvent({ status: "aborted", usage: { inputTokens: 50, outputTokens: 7 } }),
      makeEvent({ status: "aborted", usage: { inputTokens: 0, outputTokens: 0 } }),
    ]);
    const input = points(got.get("gen_ai.client.token.usage")).find(
      (p) => p.attributes["gen_ai.token.type"] === "input",
    );
    expect(histogram(input)).toMatchObject({ count: 1, sum: 50 });
    const duration = points(got.get("gen_ai.client.operation.duration"))[0];
    expect(duration?.attributes).not.toHaveProperty("error.type");
    expect(duration?.attributes["costtrail.status"]).toBe("aborted");
  });
});

describe("otelSink metrics: cardinality", () => {
  const event = () =>
    makeEvent({
      provider: "anthropic",
      operation: "messages",
      requestModel: "claude-haiku-4-5",
      responseModel: "claude-haiku-4-5-20251001",
      annotations: FULL_ANNOTATIONS,
      limitsExceeded: ["acme-monthly"],
    });

  it("by default: GenAI dimensions + use case name + account name, never user, instance, event or tags", async () => {
    const got = await run([event(), event(), event()]);
    for (const name of ["gen_ai.client.token.usage", "gen_ai.client.operation.duration", "costtrail.cost"]) {
      for (const p of points(got.get(name))) {
        const keys = Object.keys(p.attributes).sort();
        const expected = [
          "costtrail.account.name",
          "costtrail.use_case.name",
          "gen_ai.operation.name",
          "gen_ai.provider.name",
          "gen_ai.request.model",
          "gen_ai.response.model",
          ...(name === "gen_ai.client.token.usage" ? ["gen_ai.token.type"] : ["costtrail.status"]),
        ].sort();
        expect(keys).toEqual(expected);
        expect(p.attributes).toMatchObject({
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "anthropic",
          "gen_ai.request.model": "claude-haiku-4-5",
          "costtrail.use_case.name": "support-reply",
          "costtrail.account.name": "acme",
        });
      }
    }
    // Three events with distinct ids, one series each.
    expect(points(got.get("costtrail.cost"))).toHaveLength(1);
  });

  it("metricAttributes.add / remove reshape the annotation dimensions", async () => {
    const got = await run([event()], {
      metricAttributes: { add: ["useCaseStep", "requestProperties.plan", "userId"], remove: ["accountName"] },
    });
    const p = points(got.get("costtrail.cost"))[0];
    expect(p?.attributes).toMatchObject({
      "costtrail.use_case.name": "support-reply",
      "costtrail.use_case.step": "draft",
      "costtrail.request.property.plan": "pro",
      "costtrail.user.id": "user-42",
    });
    expect(p?.attributes).not.toHaveProperty("costtrail.account.name");
    expect(p?.attributes).not.toHaveProperty("costtrail.use_case.id");
  });

  it("an annotation absent from the event is simply not set", async () => {
    const got = await run([makeEvent({ annotations: {} })]);
    const p = points(got.get("costtrail.cost"))[0];
    expect(p?.attributes).not.toHaveProperty("costtrail.use_case.name");
  });

  it("unknown keys fail at configuration time with a ConfigError naming the field", () => {
    expect(() => otelSink({ metricAttributes: { add: ["userid" as never] } })).toThrow(ConfigError);
    expect(() => otelSink({ metricAttributes: { remove: ["requestProperties." as never] } })).toThrow(
      /metricAttributes/,
    );
    let error: unknown;
    try {
      otelSink({ metricAttributes: { add: ["useCaseName", "limitIds" as never] } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe("metricAttributes.add.1");
  });
});

describe("otelSink metrics: providers", () => {
  it("metrics: false records nothing", async () => {
    const got = await run([makeEvent()], { metrics: false });
    expect(got.size).toBe(0);
  });

  it("picks up a global meter provider registered after the sink was created", async () => {
    const sink = otelSink({ spans: false });
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
    try {
      sink.write([{ event: makeEvent({ costMicros: 77 }) }]);
      await sink.flush?.();
      const got = await collect();
      expect(points(got.get("costtrail.cost"))[0]?.value).toBe(77);
    } finally {
      metrics.disable();
    }
  });

  it("flush() force-flushes the meter provider", async () => {
    const sink = otelSink({ meterProvider: provider, spans: false });
    sink.write([{ event: makeEvent() }]);
    expect(exporter.getMetrics()).toHaveLength(0);
    await sink.flush?.();
    expect(exporter.getMetrics().length).toBeGreaterThan(0);
  });
});
