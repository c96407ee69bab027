// Admission as an async step: a LimitGate whose reserve returns a promise (as a store-backed gate does) makes
// the SDK wait before its first attempt, without replacing the SDK's objects; a block rejects through the SDK's
// own promise, as a LimitExceededError that is also the SDK's base error, recorded as one `blocked` event.
import Anthropic from "@anthropic-ai/sdk";
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LimitExceededError, trackContext } from "../../src/index.js";
import type { LimitGate, LimitHold, ReserveRequest } from "../../src/limits/gate.js";
import { getRuntime } from "../../src/runtime.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const messages = [{ role: "user" as const, content: "hello" }];
const zero = { id: "zero", maxUsd: 0, window: "day" as const, mode: "block" as const };
const roomy = { id: "roomy", maxUsd: 100, window: "day" as const, mode: "block" as const };
const under = <T>(id: string, fn: () => T) => trackContext({ limitIds: [id] }, fn);

/**
 * Puts the engine instrument() started behind a gate that answers later, like one that asks a database: each
 * reserve resolves when the test says so. What settle/release did is recorded.
 */
function deferGate() {
  const runtime = getRuntime()!;
  const engine = runtime.limits!;
  const waiting: (() => void)[] = [];
  const ended: string[] = [];
  const gate: LimitGate = {
    reserve(request: ReserveRequest) {
      return new Promise<LimitHold | undefined>((resolve, reject) => {
        waiting.push(() => {
          try {
            const hold = engine.reserve(request) as LimitHold | undefined;
            resolve(
              hold && {
                settle: (cost) => {
                  ended.push("settle");
                  return hold.settle(cost);
                },
                release: () => {
                  ended.push("release");
                  hold.release();
                },
              },
            );
          } catch (error) {
            reject(error);
          }
        });
      });
    },
    close: () => engine.close?.(),
  };
  runtime.limits = gate;
  const answer = async () => {
    for (let i = 0; i < 100 && waiting.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    waiting.shift()!();
  };
  return { answer, ended, waiting };
}

const tick = () => new Promise((r) => setTimeout(r, 30));

describe("an async limit gate", () => {
  it("OpenAI: the SDK waits for the answer before sending; the caller keeps the SDK's own APIPromise", async () => {
    h.start({ limits: [roomy] });
    const gate = deferGate();
    const promise = under("roomy", () => h.openai().chat.completions.create({ model: "gpt-4o", messages }));
    expect(typeof promise.withResponse).toBe("function");
    expect(promise.constructor.name).toBe("APIPromise");
    await tick();
    expect(h.mock.requests).toHaveLength(0);
    await gate.answer();
    const { data, response } = await promise.withResponse();
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(response.status).toBe(200);
    expect(h.mock.requests).toHaveLength(1);
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "ok", attempts: 1 });
    expect(gate.ended).toEqual(["settle"]);
  });

  it("OpenAI: a block rejects through the SDK's promise, unwrapped, as one blocked event, nothing sent", async () => {
    h.start({ limits: [zero] });
    const gate = deferGate();
    const promise = under("zero", () => h.openai().chat.completions.create({ model: "gpt-4o", messages }));
    await gate.answer();
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toBeInstanceOf(OpenAI.OpenAIError);
    expect(error).toMatchObject({ limitId: "zero" });
    // The stream helper passes it through as it is.
    const streamed = under("zero", () =>
      h.openai().chat.completions.stream({ model: "gpt-4o", messages }).finalChatCompletion(),
    ).catch((e: unknown) => e);
    await gate.answer();
    expect(await streamed).toBeInstanceOf(LimitExceededError);
    expect(h.mock.requests).toHaveLength(0);
    const events = await h.eventsSettled(2);
    expect(events.map((e) => [e.status, e.attempts, e.limitsExceeded])).toEqual([
      ["blocked", 0, ["zero"]],
      ["blocked", 0, ["zero"]],
    ]);
  });

  it("Anthropic: waits, then sends; a block rejects as an AnthropicError and a LimitExceededError", async () => {
    h.start({ limits: [roomy, zero] });
    const gate = deferGate();
    const ok = under("roomy", () =>
      h.anthropic().messages.create({ model: "claude-haiku-4-5", max_tokens: 20, messages }),
    );
    await tick();
    expect(h.mock.requests).toHaveLength(0);
    await gate.answer();
    expect((await ok).usage.output_tokens).toBeGreaterThan(0);
    const blocked = under("zero", () =>
      h.anthropic().messages.stream({ model: "claude-haiku-4-5", max_tokens: 20, messages }).finalMessage(),
    ).catch((e: unknown) => e);
    await gate.answer();
    const error = await blocked;
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toBeInstanceOf(Anthropic.AnthropicError);
    expect(h.mock.requests).toHaveLength(1);
    const events = await h.eventsSettled(2);
    expect(events.map((e) => e.status)).toEqual(["ok", "blocked"]);
  });

  it("Bedrock: send() waits for the answer; a block rejects it", async () => {
    h.start({ limits: [roomy, zero] });
    const gate = deferGate();
    const client = new BedrockRuntimeClient({
      endpoint: h.mock.bedrockEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
      maxAttempts: 1,
    });
    try {
      const input = {
        modelId: "anthropic.claude-3-haiku-20240307-v1:0",
        messages: [{ role: "user" as const, content: [{ text: "hello" }] }],
        inferenceConfig: { maxTokens: 20 },
      };
      const ok = under("roomy", () => client.send(new ConverseCommand(input)));
      await tick();
      expect(h.mock.requests).toHaveLength(0);
      await gate.answer();
      expect((await ok).usage?.outputTokens).toBeGreaterThan(0);
      const blocked = under("zero", () => client.send(new ConverseCommand(input))).catch((e: unknown) => e);
      await gate.answer();
      expect(await blocked).toBeInstanceOf(LimitExceededError);
      expect(h.mock.requests).toHaveLength(1);
      const events = await h.eventsSettled(2);
      expect(events.map((e) => e.status)).toEqual(["ok", "blocked"]);
    } finally {
      client.destroy();
    }
  });

  it("a call that fails before anything is billed gives its reservation back", async () => {
    h.start({ limits: [roomy] });
    const gate = deferGate();
    h.mock.enqueueFault({ status: 400 });
    const failed = under("roomy", () =>
      h.openai().chat.completions.create({ model: "gpt-4o", messages }),
    ).catch((e: unknown) => e);
    await gate.answer();
    expect(await failed).toBeInstanceOf(OpenAI.BadRequestError);
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "error", httpStatus: 400 });
    expect(gate.ended).toEqual(["release"]);
  });
});

describe("a synchronous gate (the in-process engine)", () => {
  it("a block still rejects through the SDK's own APIPromise", async () => {
    h.start({ limits: [zero] });
    const promise = under("zero", () => h.openai().chat.completions.create({ model: "gpt-4o", messages }));
    expect(promise.constructor.name).toBe("APIPromise");
    await expect(promise.asResponse()).rejects.toBeInstanceOf(LimitExceededError);
    await expect(promise.withResponse()).rejects.toBeInstanceOf(OpenAI.OpenAIError);
    expect(h.mock.requests).toHaveLength(0);
    const events = await h.eventsSettled(1);
    expect(events.map((e) => e.status)).toEqual(["blocked"]);
  });
});
