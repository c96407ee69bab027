/**
 * One variant of the peer benchmark (bench/peers.ts), alone in its own process: instrumentations patch the
 * SDK globally, so each variant needs a process of its own. The parent sends `{ mode, transport, calls }`
 * over IPC; this process runs that many sequential calls and answers with their wall time and its CPU time.
 *
 *   (spawned by bench/peers.ts) node --import tsx bench/peer-variant.ts <variant> <openaiBaseURL> <tmpdir>
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { default as OpenAIClass } from "openai";
import {
  benchLimits,
  cannedFetch,
  type Mode,
  type RunRequest,
  type RunResult,
  STREAM_TOOLS,
  type Transport,
  VARIANTS,
  type Variant,
} from "./peer-fixtures.js";

async function main(): Promise<void> {
  const [variant, openaiBaseURL, dir] = process.argv.slice(2) as [Variant, string, string];
  if (!VARIANTS.includes(variant)) throw new Error(`unknown variant ${variant}`);
  const require = createRequire(import.meta.url);
  let recorded = 0;
  /** Flushes what the instrumentation buffers, so its deferred work is inside the measured CPU. */
  let flush: () => Promise<void> = async () => {};
  let wrap = <T>(client: T): T => client;
  let inScope: <R>(fn: () => R) => R = (fn) => fn();

  if (variant === "bare+ALS") {
    const als = new AsyncLocalStorage<object>();
    const store = { request: 1 };
    inScope = (fn) => als.run(store, fn);
  } else if (variant.startsWith("costtrail")) {
    // The built package when there is one (what users run; `npm run bench` builds first), else the sources.
    const dist = new URL("../dist/src/index.js", import.meta.url);
    const { instrument } = (await import(
      existsSync(dist) ? dist.href : "../src/index.js"
    )) as typeof import("../src/index.js");
    const limited = variant.includes("limits");
    const handle = instrument({
      ledger: variant.includes("SQLite") ? join(dir, `${variant.replace(/\W+/g, "-")}.db`) : false,
      ...(limited
        ? { limits: benchLimits(10), defaults: { limitIds: benchLimits(10).map((l) => l.id) } }
        : {}),
      onEvent: () => void recorded++,
    });
    await handle.ready;
    flush = () => handle.flush();
  } else {
    // The OpenTelemetry peers and Langfuse export spans: a real SDK pipeline with an exporter that counts
    // and drops (no network), and the AsyncLocalStorage context manager an app would register.
    const { context, trace } = require("@opentelemetry/api") as typeof import("@opentelemetry/api");
    const { AsyncLocalStorageContextManager } =
      require("@opentelemetry/context-async-hooks") as typeof import("@opentelemetry/context-async-hooks");
    const { BasicTracerProvider, BatchSpanProcessor } =
      require("@opentelemetry/sdk-trace-base") as typeof import("@opentelemetry/sdk-trace-base");
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new BatchSpanProcessor(
          {
            export(spans, done) {
              recorded += spans.length;
              done({ code: 0 });
            },
            async shutdown() {},
          },
          { maxQueueSize: 100_000 },
        ),
      ],
    });
    trace.setGlobalTracerProvider(provider);
    flush = () => provider.forceFlush();
    if (variant === "@traceloop/instrumentation-openai") {
      const { OpenAIInstrumentation } =
        require("@traceloop/instrumentation-openai") as typeof import("@traceloop/instrumentation-openai");
      const instrumentation = new OpenAIInstrumentation();
      instrumentation.setTracerProvider(provider);
      instrumentation.manuallyInstrument((require("openai") as { OpenAI: unknown }).OpenAI);
    } else if (variant === "@opentelemetry/instrumentation-openai") {
      // Patches through its require hook: it must exist before `openai` is first required (below).
      const { OpenAIInstrumentation } =
        require("@opentelemetry/instrumentation-openai") as typeof import("@opentelemetry/instrumentation-openai");
      const instrumentation = new OpenAIInstrumentation();
      instrumentation.setTracerProvider(provider);
      // Its token and duration histograms need a meter provider (its constructor leaves them unset without
      // one): a real SDK one, read by an exporter that drops, as for spans.
      const { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } =
        require("@opentelemetry/sdk-metrics") as typeof import("@opentelemetry/sdk-metrics");
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
      instrumentation.setMeterProvider(meterProvider);
      instrumentation.enable();
    } else {
      const { observeOpenAI } = require("@langfuse/openai") as typeof import("@langfuse/openai");
      const { setLangfuseTracerProvider } =
        require("@langfuse/tracing") as typeof import("@langfuse/tracing");
      setLangfuseTracerProvider(provider);
      wrap = <T>(client: T): T => observeOpenAI(client as never) as T;
    }
  }

  const OpenAI = require("openai") as typeof OpenAIClass;
  const clients: Record<Transport, OpenAIClass> = {
    loopback: wrap(new OpenAI({ baseURL: openaiBaseURL, apiKey: "bench", maxRetries: 0 })),
    "in-process": wrap(new OpenAI({ apiKey: "bench", maxRetries: 0, fetch: cannedFetch as never })),
  };
  const messages = [{ role: "user" as const, content: "Benchmark me briefly." }];
  const call = async (client: OpenAIClass, mode: Mode) => {
    if (mode === "chat") {
      await client.chat.completions.create({ model: "gpt-4o-mini", messages });
      return;
    }
    // Usage asked for by every variant, so all read the same bytes (costtrail would add it otherwise).
    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      tools: STREAM_TOOLS,
      tool_choice: "required",
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) {
      // drain
    }
  };

  process.on("message", (request: RunRequest) => {
    void (async () => {
      const client = clients[request.transport];
      // A few unmeasured calls first: after idling while the other variants ran, a process is not where it
      // was (V8's memory reducer shrinks an idle heap, caches go cold), and that would land on whoever idled.
      await inScope(async () => {
        for (let i = 0; i < Math.ceil(request.calls / 10); i++) await call(client, request.mode);
      });
      await flush();
      recorded = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await inScope(async () => {
        for (let i = 0; i < request.calls; i++) await call(client, request.mode);
      });
      const wallMs = performance.now() - t0;
      await flush();
      const cpu = process.cpuUsage(cpu0);
      const result: RunResult = {
        wallMs,
        cpuUs: cpu.user + cpu.system,
        recorded: variant.startsWith("bare") ? -1 : recorded,
      };
      process.send!(result);
    })().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
  process.send!({ ready: true });
}

await main();
