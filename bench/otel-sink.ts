/**
 * Cost of the OpenTelemetry sink per usage event, against a real SDK with exporters that drop everything.
 * Each scenario replays what the core does per provider call (build the event, `captureContext()` inside the
 * caller's active span, `write` one record when the call settles), yielding to the event loop every `batch`
 * calls so the sink's deferred export and the BatchSpanProcessor run as they would in a server.
 *
 *   npx tsx bench/otel-sink.ts [events=50000] [batch=100]
 */
import { randomUUID } from "node:crypto";
import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { otelSink } from "../src/sinks/otel/index.js";
import type { Sink, UsageEvent } from "../src/types.js";

const EVENTS = Number(process.argv[2] ?? 50_000);
const BATCH = Number(process.argv[3] ?? 100);
const RUNS = 5;

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const template: UsageEvent = {
  id: "",
  ts: new Date().toISOString(),
  durationMs: 812.5,
  ttftMs: 240,
  provider: "openai",
  operation: "chat",
  requestModel: "gpt-4o-mini",
  responseModel: "gpt-4o-mini-2024-07-18",
  stream: true,
  status: "ok",
  attempts: 1,
  usage: {
    inputTokens: 1200,
    outputTokens: 300,
    cacheReadTokens: 1024,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  },
  costMicros: 360,
  currency: "USD",
  costSource: "computed",
  annotations: {
    useCaseName: "support-reply",
    useCaseId: randomUUID(),
    useCaseStep: "draft",
    userId: "user-42",
    accountName: "acme",
    limitIds: ["acme-monthly"],
    requestTags: ["beta"],
    requestProperties: { plan: "pro" },
  },
  limitsExceeded: [],
};

let exportedSpans = 0;
const dropSpans: SpanExporter = {
  export(spans, done) {
    exportedSpans += spans.length;
    done({ code: 0 });
  },
  async shutdown() {},
};

interface Scenario {
  label: string;
  sink?: Sink;
  flush?: () => Promise<void>;
}

function scenarios(): Scenario[] {
  const tracerProvider = new BasicTracerProvider({
    // Queue sized for the whole run: a dropped span would be a cheap span and flatter the figure.
    spanProcessors: [
      new BatchSpanProcessor(dropSpans, { maxQueueSize: EVENTS + BATCH, maxExportBatchSize: 512 }),
    ],
  });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: {
          export: (_metrics, done) => done({ code: 0 }),
          forceFlush: async () => {},
          shutdown: async () => {},
          selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
        },
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  const flush = async () => {
    await tracerProvider.forceFlush();
    await meterProvider.forceFlush();
  };
  return [
    { label: "no sink" },
    { label: "otelSink spans+metrics", sink: otelSink({ tracerProvider, meterProvider }), flush },
    { label: "otelSink spans only", sink: otelSink({ tracerProvider, metrics: false }), flush },
    { label: "otelSink metrics only", sink: otelSink({ meterProvider, spans: false }), flush },
  ];
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Timing {
  /** On the caller's path, per provider call: build the event, `captureContext()`, `write` (which only queues). */
  callPath: number;
  /** Process CPU time for everything, including the deferred export and the final flush: what the sink costs. */
  total: number;
}

/** Nanoseconds. */
async function run(s: Scenario, events: number): Promise<Timing> {
  const appSpan = trace.getTracer("bench-app").startSpan("request");
  const appContext = trace.setSpan(ROOT_CONTEXT, appSpan);
  let callPath = 0;
  // CPU time, not wall time: the figure should not depend on what else the machine is running.
  const cpu0 = process.cpuUsage();
  for (let done = 0; done < events; done += BATCH) {
    const t0 = process.hrtime.bigint();
    context.with(appContext, () => {
      for (let i = 0; i < BATCH; i++) {
        const event: UsageEvent = { ...template, id: randomUUID() };
        // As the core does: capture when the call starts, write one record when it settles.
        const callContext = s.sink?.captureContext?.();
        s.sink?.write([{ event, callContext }]);
      }
    });
    callPath += Number(process.hrtime.bigint() - t0);
    await tick(); // the sink's export runs here, as it would between requests
  }
  await s.sink?.flush?.();
  await s.flush?.();
  const cpu = process.cpuUsage(cpu0);
  const total = (cpu.user + cpu.system) * 1000;
  appSpan.end();
  return { callPath, total };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const list = scenarios();
  for (const s of list) await run(s, Math.min(EVENTS, 10_000)); // warm-up: JIT, instrument creation
  exportedSpans = 0;

  const results = new Map<string, { callPath: number; total: number }>();
  for (const s of list) {
    const callPath: number[] = [];
    const total: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = await run(s, EVENTS);
      callPath.push(t.callPath / EVENTS / 1000);
      total.push(t.total / EVENTS / 1000);
    }
    results.set(s.label, { callPath: median(callPath), total: median(total) });
  }
  const spanRuns = 2 * RUNS * EVENTS; // spans+metrics and spans-only scenarios
  const base = results.get("no sink")!;

  console.log(
    `node ${process.version}, ${EVENTS} events x ${RUNS} runs, ticks of ${BATCH} calls, median µs/event (call path: wall; total: process CPU)`,
  );
  console.log("scenario                  call path   (ratio)     total   sink cost   (ratio)");
  for (const [label, t] of results) {
    const none = label === "no sink";
    const cells = [
      label.padEnd(24),
      t.callPath.toFixed(2).padStart(9),
      `${(t.callPath / base.callPath).toFixed(1)}x`.padStart(7),
      t.total.toFixed(2).padStart(7),
      (none ? "-" : (t.total - base.total).toFixed(2)).padStart(9),
      `${(t.total / base.total).toFixed(1)}x`.padStart(7),
    ];
    console.log(cells.join("   "));
  }
  console.log(
    `spans exported: ${exportedSpans} of ${spanRuns} expected (no drops: ${exportedSpans === spanRuns})`,
  );
}

await main();
