/**
 * The provider clients for the examples: the real APIs when OPENAI_API_KEY and ANTHROPIC_API_KEY are set (the
 * SDKs also read OPENAI_BASE_URL / ANTHROPIC_BASE_URL), otherwise costtrail's local mock provider, so every
 * example runs offline.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startMockProvider } from "../../src/testing.js";
import type { LlmClients } from "./documents.js";

export interface ExampleClients extends LlmClients {
  /** Where the calls go, for the startup log. */
  target: string;
  /** Stops the mock provider, if one was started. */
  close(): Promise<void>;
}

export async function createClients(): Promise<ExampleClients> {
  if (process.env.OPENAI_API_KEY && process.env.ANTHROPIC_API_KEY) {
    return {
      openai: new OpenAI(),
      anthropic: new Anthropic(),
      target: "the OpenAI and Anthropic APIs",
      close: async () => {},
    };
  }
  const mock = await startMockProvider();
  return {
    openai: new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "mock" }),
    anthropic: new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "mock" }),
    target: `costtrail's mock provider at ${mock.url}`,
    close: () => mock.close(),
  };
}
