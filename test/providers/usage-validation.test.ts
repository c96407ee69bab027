// Issue 22 item 8: provider usage is validated — finite non-negative integers up to a ceiling — and an event
// keeps the counts it can trust, lists the others, and the problem is logged once.
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MAX_USAGE_COUNT } from "../../src/calls/usage-check.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

/** The mock's answer with its `usage` replaced by what a broken or hostile provider might send. */
function rewritingUsage(usage: Record<string, unknown>): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const body = await response.json();
    return new Response(JSON.stringify({ ...body, usage }), {
      status: response.status,
      headers: response.headers,
    });
  };
}

describe("usage the provider sends", () => {
  it("negative, fractional, non-finite and huge counts are left out, flagged on the event, logged once", async () => {
    const warnings: string[] = [];
    h.start({ logger: { warn: (m: string) => warnings.push(m), error: () => {} } });
    const hostile = {
      prompt_tokens: -5,
      completion_tokens: 7.5,
      total_tokens: 3,
      prompt_tokens_details: { cached_tokens: 1e308 },
      completion_tokens_details: { reasoning_tokens: 3 },
    };
    const client = new OpenAI({
      baseURL: h.mock.openaiBaseURL,
      apiKey: "test",
      maxRetries: 0,
      fetch: rewritingUsage(hostile),
    });
    const messages = [{ role: "user" as const, content: "hi" }];
    const result = await client.chat.completions.create({ model: "gpt-4o", messages });
    expect(result.usage).toEqual(hostile); // the user still sees exactly what the provider sent
    await client.chat.completions.create({ model: "gpt-4o", messages });
    const events = await h.eventsSettled(2);
    expect(events[0]?.usage).toMatchObject({
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      reasoningTokens: 3,
    });
    expect(events[0]?.usageIssues).toEqual([
      "inputTokens: -5 (negative)",
      "outputTokens: 7.5 (not an integer)",
      `cacheReadTokens: 1e+308 (above ${MAX_USAGE_COUNT})`,
    ]);
    expect(Number.isSafeInteger(events[0]?.costMicros ?? 0)).toBe(true);
    expect(warnings.filter((w) => w.includes("cannot trust"))).toHaveLength(1);
  });

  it("trusted usage carries no usageIssues", async () => {
    h.start();
    await h
      .openai()
      .chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    const [event] = await h.eventsSettled(1);
    expect(event?.usage).toEqual(h.mock.requests[0]!.usage);
    expect(event).not.toHaveProperty("usageIssues");
  });
});
