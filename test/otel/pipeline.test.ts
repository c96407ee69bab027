import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, expect, it } from "vitest";
import { EventPipeline } from "../../src/events/pipeline.js";
import { otelSink } from "../../src/sinks/otel/index.js";
import { makeEvent } from "./helpers.js";

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

// The core's own hand-off: contexts captured when the call starts, the event emitted when it settles.
it("through the core's EventPipeline, the span nests under the span active when the call started", async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const pipeline = new EventPipeline([otelSink({ tracerProvider: provider, metrics: false })], undefined);

  let parentId = "";
  const settle = await provider.getTracer("app").startActiveSpan("job", async (span) => {
    parentId = span.spanContext().spanId;
    const contexts = pipeline.captureContexts();
    span.end();
    return () => pipeline.emit(makeEvent(), contexts);
  });
  expect(trace.getActiveSpan()).toBeUndefined();
  settle();
  await pipeline.flush();

  const [span] = exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === "costtrail");
  expect(span?.parentSpanContext?.spanId).toBe(parentId);
  await pipeline.shutdown();
  await provider.shutdown();
});
