import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { AzureOpenAI } from "openai";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type MockProvider, type MockProviderOptions, startMockProvider } from "../../src/testing.js";

export interface Clients {
  mock: MockProvider;
  openai: OpenAI;
  azure: AzureOpenAI;
  anthropic: Anthropic;
}

/** One mock per test file, reset between tests; clients never retry unless a test asks. */
export function useMock(options?: MockProviderOptions): Clients {
  const clients = {} as Clients;
  beforeAll(async () => {
    clients.mock = await startMockProvider(options);
    clients.openai = new OpenAI({
      baseURL: clients.mock.openaiBaseURL,
      apiKey: "test",
      maxRetries: 0,
      logLevel: "off",
    });
    clients.azure = new AzureOpenAI({
      endpoint: clients.mock.azureEndpoint,
      apiKey: "test",
      apiVersion: "2024-10-21",
      maxRetries: 0,
    });
    clients.anthropic = new Anthropic({
      baseURL: clients.mock.anthropicBaseURL,
      apiKey: "test",
      maxRetries: 0,
      // Malformed-stream tests make the SDK log the unparsable event; keep test output quiet.
      logLevel: "off",
    });
  });
  afterEach(() => clients.mock.reset());
  afterAll(() => clients.mock.close());
  return clients;
}

/** Text of exactly `tokens` mock tokens (4 characters each). */
export function textOfTokens(tokens: number, seed = "a"): string {
  return (seed.repeat(4 * tokens) + "").slice(0, 4 * tokens);
}
