/**
 * costtrail → OpenTelemetry → your Collector.
 *
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 npx tsx examples/otel/app.ts
 *
 * Without OPENAI_API_KEY / ANTHROPIC_API_KEY the calls go to costtrail's local mock provider, so the example
 * runs offline; the spans and metrics are the same either way. A Collector to receive them:
 *
 *   docker run --rm -p 4318:4318 otel/opentelemetry-collector:latest
 *   (its default config has an OTLP receiver and the debug exporter, which prints what arrives)
 */
import Anthropic from "@anthropic-ai/sdk";
import { trace } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import OpenAI from "openai";
import { instrument, trackContext } from "../../src/index.js";
import { otelSink } from "../../src/sinks/otel/index.js";
import { startMockProvider } from "../../src/testing.js";

const endpoint = (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://127.0.0.1:4318").replace(/\/+$/, "");

// 1. The OpenTelemetry SDK: yours, configured as usual. costtrail only talks to the global API.
const sdk = new NodeSDK({
  resource: resourceFromAttributes({ "service.name": "costtrail-otel-example" }),
  traceExporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }),
  metricReaders: [
    new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
      exportIntervalMillis: 10_000,
    }),
  ],
});
sdk.start();

// 2. costtrail, with the OpenTelemetry sink next to (or instead of) the local ledger.
const costtrail = instrument({
  ledger: false,
  defaults: { useCaseName: "otel-example", accountName: "acme" },
  sinks: [otelSink()],
});
await costtrail.ready; // under tsx, the ESM SDKs are patched asynchronously

const mock =
  process.env.OPENAI_API_KEY && process.env.ANTHROPIC_API_KEY ? undefined : await startMockProvider();
const openai = mock ? new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "mock" }) : new OpenAI();
const anthropic = mock ? new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "mock" }) : new Anthropic();

// 3. Your app. The costtrail spans nest under whatever span is active when the call starts.
const tracer = trace.getTracer("otel-example-app");
await tracer.startActiveSpan("POST /tickets/:id/reply", async (span) => {
  await trackContext({ useCaseName: "support-reply", useCaseStep: "draft", userId: "user-42" }, async () => {
    const [draft] = await Promise.all([
      openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "Draft a polite reply to: my invoice is wrong." }],
      }),
      openai.embeddings.create({ model: "text-embedding-3-small", input: "my invoice is wrong" }),
    ]);
    await trackContext({ useCaseStep: "review" }, () =>
      anthropic.messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 256,
        messages: [
          { role: "user", content: `Review this reply: ${draft.choices[0]?.message.content ?? ""}` },
        ],
      }),
    );
  });
  span.end();
});

// 4. Drain costtrail's sinks, then let the SDK export and stop.
await costtrail.shutdown();
await sdk.shutdown();
await mock?.close();
console.log(`sent to ${endpoint}: look for spans "chat gpt-4o-mini", "embeddings text-embedding-3-small",`);
console.log(`"chat claude-haiku-4-5" under "POST /tickets/:id/reply", and the costtrail.cost metric.`);
