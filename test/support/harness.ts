import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { AzureOpenAI } from "openai";
import { type Instrumentation, type InstrumentConfig, instrument, type UsageEvent } from "../../src/index.js";
import { type MockProvider, type MockProviderOptions, startMockProvider } from "../../src/testing.js";

export interface Harness {
  mock: MockProvider;
  events: UsageEvent[];
  openai: (options?: Partial<ConstructorParameters<typeof OpenAI>[0]>) => OpenAI;
  azure: (deployment?: string) => AzureOpenAI;
  anthropic: (options?: Partial<ConstructorParameters<typeof Anthropic>[0]>) => Anthropic;
  start: (config?: InstrumentConfig) => Instrumentation;
  stop: () => Promise<void>;
  /** Waits until `n` events arrived (stream finalisation may land a tick after the user's await). */
  eventsSettled: (n: number) => Promise<UsageEvent[]>;
}

export async function createHarness(options?: MockProviderOptions): Promise<Harness> {
  const mock = await startMockProvider(options);
  const events: UsageEvent[] = [];
  let handle: Instrumentation | undefined;
  return {
    mock,
    events,
    openai: (options) =>
      new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0, ...options }),
    azure: (deployment) =>
      new AzureOpenAI({
        endpoint: mock.azureEndpoint,
        apiKey: "test",
        apiVersion: "2024-10-21",
        maxRetries: 0,
        ...(deployment ? { deployment } : {}),
      }),
    anthropic: (options) =>
      new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "test", maxRetries: 0, ...options }),
    start(config) {
      handle = instrument({
        ledger: false,
        globalInstrumentation: false,
        ...config,
        onEvent: (event) => {
          events.push(event);
          config?.onEvent?.(event);
        },
      });
      return handle;
    },
    async stop() {
      await handle?.shutdown();
      handle = undefined;
      events.length = 0;
      mock.reset();
    },
    async eventsSettled(n) {
      for (let i = 0; i < 200 && events.length < n; i++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
      return events;
    },
  };
}

/** Strips the fields a provider randomises per response, to compare instrumented and bare results. */
export function stable(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, v) =>
      ["id", "created", "created_at", "_request_id", "system_fingerprint"].includes(key) ? "<x>" : v,
    ),
  );
}
