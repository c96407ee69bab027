// A block limit stops a call before any network I/O, on every path into the SDKs: create() with await,
// .catch() and .withResponse(), and the SDKs' stream helpers (which wrap errors that are not their own).
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LimitExceededError, trackContext } from "../../src/index.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const messages = [{ role: "user" as const, content: "hello" }];
const zero = { id: "zero", maxUsd: 0, window: "day" as const, mode: "block" as const };
const blocked = <T>(fn: () => T) => trackContext({ limitIds: ["zero"] }, fn);

describe("blocked calls", () => {
  it("create() returns a rejected promise (no synchronous throw); await, .catch and .withResponse see it", async () => {
    h.start({ limits: [zero] });
    const client = h.openai();
    let pending: unknown;
    expect(() => {
      pending = blocked(() => client.chat.completions.create({ model: "gpt-4o", messages }));
    }).not.toThrow();
    await expect(pending).rejects.toBeInstanceOf(LimitExceededError);
    const caught = await blocked(() =>
      client.chat.completions.create({ model: "gpt-4o", messages }).catch((e) => e),
    );
    expect(caught).toBeInstanceOf(LimitExceededError);
    expect(caught).toMatchObject({ limitId: "zero", maxUsd: 0, window: "day" });
    await expect(
      blocked(() => client.chat.completions.create({ model: "gpt-4o", messages }).withResponse()),
    ).rejects.toBeInstanceOf(LimitExceededError);
    expect(h.mock.requests).toHaveLength(0);
    const events = await h.eventsSettled(3);
    expect(events.map((e) => [e.status, e.attempts, e.limitsExceeded])).toEqual([
      ["blocked", 0, ["zero"]],
      ["blocked", 0, ["zero"]],
      ["blocked", 0, ["zero"]],
    ]);
  });

  it("the SDKs' stream helpers reject with the LimitExceededError itself, not a wrapper", async () => {
    h.start({ limits: [zero] });
    const anthropicError = await blocked(() =>
      h.anthropic().messages.stream({ model: "claude-haiku-4-5", max_tokens: 50, messages }).finalMessage(),
    ).catch((e: unknown) => e);
    expect(anthropicError).toBeInstanceOf(LimitExceededError);
    expect(anthropicError).toBeInstanceOf(Anthropic.AnthropicError);
    expect((anthropicError as LimitExceededError).limitId).toBe("zero");

    const openaiError = await blocked(() =>
      h.openai().chat.completions.stream({ model: "gpt-4o", messages }).finalChatCompletion(),
    ).catch((e: unknown) => e);
    expect(openaiError).toBeInstanceOf(LimitExceededError);
    expect(openaiError).toBeInstanceOf(OpenAI.OpenAIError);
    expect(h.mock.requests).toHaveLength(0);
  });

  it("embeddings reserve no output tokens", async () => {
    const tiny = { id: "tiny", maxUsd: 0.0001, window: "day" as const, mode: "block" as const };
    // Give the model an output price: 4096 reserved output tokens would then cost $0.04 and be blocked.
    h.start({
      limits: [tiny],
      prices: [{ model: "text-embedding-3-small", inputPerMTok: 0.02, outputPerMTok: 10 }],
    });
    await trackContext({ limitIds: ["tiny"] }, () =>
      h.openai().embeddings.create({ model: "text-embedding-3-small", input: "a short text" }),
    );
    expect(h.mock.requests).toHaveLength(1);
  });
});
