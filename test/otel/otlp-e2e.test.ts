import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { otelSink } from "../../src/sinks/otel/index.js";
import type { SinkRecord } from "../../src/types.js";
import { FULL_ANNOTATIONS, makeEvent } from "./helpers.js";

// --- A minimal OTLP/HTTP receiver: what an OpenTelemetry Collector's otlp receiver would get. ---

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpKeyValue[];
  status?: { code?: number; message?: string };
}
interface Received {
  path: string;
  contentType: string;
  body: Record<string, unknown>;
}

function decodeValue(v: OtlpAnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}
const decodeAttributes = (kvs: OtlpKeyValue[] = []) =>
  Object.fromEntries(kvs.map((kv) => [kv.key, decodeValue(kv.value)]));

let server: Server;
let endpoint: string;
const received: Received[] = [];

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let raw = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
      const contentType = String(req.headers["content-type"] ?? "");
      // http/json is what these exporters send; anything else would fail the JSON parse loudly below.
      received.push({ path: req.url ?? "", contentType, body: JSON.parse(raw.toString("utf8")) });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  context.disable();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function receivedSpans(): OtlpSpan[] {
  const out: OtlpSpan[] = [];
  for (const r of received.filter((r) => r.path === "/v1/traces")) {
    for (const rs of (r.body.resourceSpans ?? []) as { scopeSpans?: { spans?: OtlpSpan[] }[] }[]) {
      for (const ss of rs.scopeSpans ?? []) out.push(...(ss.spans ?? []));
    }
  }
  return out;
}

interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: { asInt?: number | string; asDouble?: number; attributes?: OtlpKeyValue[] }[] };
}
function receivedMetrics(): OtlpMetric[] {
  const out: OtlpMetric[] = [];
  for (const r of received.filter((r) => r.path === "/v1/metrics")) {
    for (const rm of (r.body.resourceMetrics ?? []) as { scopeMetrics?: { metrics?: OtlpMetric[] }[] }[]) {
      for (const sm of rm.scopeMetrics ?? []) out.push(...(sm.metrics ?? []));
    }
  }
  return out;
}

describe("otelSink end to end over OTLP/HTTP (JSON)", () => {
  it("a collector receives the cost span, nested under the app's span, and the cost counter", async () => {
    const resource = resourceFromAttributes({ "service.name": "costtrail-e2e" });
    const tracerProvider = new BasicTracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
    });
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
      exportIntervalMillis: 3_600_000,
    });
    const meterProvider = new MeterProvider({ resource, readers: [reader] });
    const sink = otelSink({ tracerProvider, meterProvider });

    const event = makeEvent({
      provider: "anthropic",
      operation: "messages",
      requestModel: "claude-sonnet-4-5",
      responseModel: "claude-sonnet-4-5-20250929",
      stream: true,
      ttftMs: 420,
      usage: { inputTokens: 5000, outputTokens: 300, cacheReadTokens: 4000, cacheWriteTokens: 600 },
      costMicros: 9876,
      annotations: FULL_ANNOTATIONS,
      limitsExceeded: ["acme-monthly"],
    });
    const pending: SinkRecord[] = [];
    let userSpanId = "";
    await tracerProvider.getTracer("app").startActiveSpan("POST /tickets/:id/reply", async (span) => {
      userSpanId = span.spanContext().spanId;
      pending.push({ event, callContext: sink.captureContext?.() });
      span.end();
    });
    await sink.write(pending);
    await sink.flush?.();

    expect(received.every((r) => r.contentType.startsWith("application/json"))).toBe(true);
    const spans = receivedSpans();
    const costSpan = spans.find((s) => s.name === "chat claude-sonnet-4-5");
    const userSpan = spans.find((s) => s.name === "POST /tickets/:id/reply");
    expect(costSpan, `spans received: ${spans.map((s) => s.name).join(", ")}`).toBeDefined();
    expect(userSpan?.spanId).toBe(userSpanId);
    expect(costSpan?.parentSpanId).toBe(userSpan?.spanId);
    expect(costSpan?.traceId).toBe(userSpan?.traceId);
    expect(costSpan?.kind).toBe(3); // SPAN_KIND_CLIENT
    const startNs = BigInt(costSpan!.startTimeUnixNano);
    const endNs = BigInt(costSpan!.endTimeUnixNano);
    expect(startNs / 1_000_000n).toBe(BigInt(Date.parse(event.ts)));
    expect(Number(endNs - startNs) / 1e6).toBeCloseTo(event.durationMs, 3);

    expect(decodeAttributes(costSpan?.attributes)).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "anthropic",
      "gen_ai.request.model": "claude-sonnet-4-5",
      "gen_ai.response.model": "claude-sonnet-4-5-20250929",
      "gen_ai.request.stream": true,
      "gen_ai.response.time_to_first_chunk": 0.42,
      "gen_ai.usage.input_tokens": 5000,
      "gen_ai.usage.output_tokens": 300,
      "gen_ai.usage.cache_read.input_tokens": 4000,
      "gen_ai.usage.cache_creation.input_tokens": 600,
      "gen_ai.usage.cache_write.input_tokens": 600,
      "costtrail.cost.usd_micros": 9876,
      "costtrail.cost.source": "computed",
      "costtrail.event.id": event.id,
      "costtrail.status": "ok",
      "costtrail.stream": true,
      "costtrail.ttft_ms": 420,
      "costtrail.use_case.name": "support-reply",
      "costtrail.use_case.id": FULL_ANNOTATIONS.useCaseId,
      "costtrail.use_case.version": 3,
      "costtrail.use_case.step": "draft",
      "costtrail.user.id": "user-42",
      "costtrail.account.name": "acme",
      "costtrail.limit_ids": ["acme-monthly", "global-daily"],
      "costtrail.request_tags": ["beta", "eu"],
      "costtrail.request.property.plan": "pro",
      "costtrail.use_case.property.channel": "email",
      "costtrail.price_as_resource": "gpt-4o",
      "costtrail.limits_exceeded": ["acme-monthly"],
    });

    const cost = receivedMetrics().find((m) => m.name === "costtrail.cost");
    expect(cost?.unit).toBe("{micro_usd}");
    const point = cost?.sum?.dataPoints[0];
    expect(Number(point?.asInt ?? point?.asDouble)).toBe(9876);
    const pointAttrs = decodeAttributes(point?.attributes);
    expect(pointAttrs).toMatchObject({
      "costtrail.use_case.name": "support-reply",
      "costtrail.account.name": "acme",
    });
    expect(pointAttrs).not.toHaveProperty("costtrail.user.id");
    expect(receivedMetrics().map((m) => m.name)).toEqual(
      expect.arrayContaining([
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.duration",
        "gen_ai.client.operation.time_to_first_chunk",
      ]),
    );

    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  });
});
