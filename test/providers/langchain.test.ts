import { ChatAnthropic } from "@langchain/anthropic";
import { InMemoryCache } from "@langchain/core/caches";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage, type UsageMetadata } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnableSequence } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ChatOpenAI } from "@langchain/openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AnnotationError,
  currentAnnotations,
  LimitExceededError,
  trackContext,
  type UsageEvent,
} from "../../src/index.js";
import { CostTrailCallbackHandler } from "../../src/providers/langchain/index.js";
import { sdkTracksProvider } from "../../src/providers/langchain/tracked.js";
import { getRuntime } from "../../src/runtime.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

/** A chat model of a provider costtrail does not patch, reporting LangChain `usage_metadata`. */
class UsageChatModel extends BaseChatModel {
  /** The usage each call reported, in call order. */
  readonly reported: UsageMetadata[] = [];
  private failing = false;

  _llmType(): string {
    return "usage-fake";
  }

  override getLsParams(options: this["ParsedCallOptions"]) {
    return { ...super.getLsParams(options), ls_provider: "fakeprovider", ls_model_name: "fake-model-1" };
  }

  failNext(): this {
    this.failing = true;
    return this;
  }

  private answer(messages: BaseMessage[]): { words: string[]; usage: UsageMetadata } {
    if (this.failing) {
      this.failing = false;
      throw new Error("fake provider is down");
    }
    const prompt = messages.map((m) => String(m.content)).join("\n");
    const words = ["Paid", " in", " full", ` (${prompt.length})`];
    // input_tokens is the sum of all input types, cache included, as LangChain defines it.
    const usage: UsageMetadata = {
      input_tokens: prompt.length + 30,
      output_tokens: words.length + 2,
      total_tokens: prompt.length + 30 + words.length + 2,
      input_token_details: { cache_read: 20, cache_creation: 10 },
      output_token_details: { reasoning: 2 },
    };
    this.reported.push(usage);
    return { words, usage };
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const { words, usage } = this.answer(messages);
    const text = words.join("");
    const message = new AIMessage({
      content: text,
      usage_metadata: usage,
      response_metadata: { model_name: "fake-model-1-2026" },
    });
    return { generations: [{ text, message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const { words, usage } = this.answer(messages);
    for (const text of words) {
      yield new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
      await runManager?.handleLLMNewToken(text);
    }
    yield new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({ content: "", usage_metadata: usage }),
    });
  }
}

/** UsageEvent's normal form of a reported UsageMetadata. */
function normal(u: UsageMetadata) {
  return {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheReadTokens: u.input_token_details?.cache_read ?? 0,
    cacheWriteTokens: u.input_token_details?.cache_creation ?? 0,
    reasoningTokens: u.output_token_details?.reasoning ?? 0,
  };
}

const handler = () => new CostTrailCallbackHandler({ annotations: { requestTags: ["langchain"] } });
const chatOpenAI = (model = "gpt-4o-mini") =>
  new ChatOpenAI({ model, apiKey: "test", maxRetries: 0, configuration: { baseURL: h.mock.openaiBaseURL } });

// @langchain/openai 1.x needs openai 6: the SDK compatibility matrix (test/compat) swaps in other majors.
const openaiMajor = process.env["COSTTRAIL_COMPAT_OPENAI_MAJOR"];
const langchainOpenAIWorks = openaiMajor === undefined || openaiMajor === "6";

describe("no double count: models whose SDK costtrail patches", () => {
  it.skipIf(!langchainOpenAIWorks)(
    "ChatOpenAI: exactly one event per call (the SDK's), carrying the handler's annotations",
    async () => {
      await h.start().ready;
      expect(sdkTracksProvider("openai")).toBe(true);
      const cb = handler();
      const reply = await trackContext({ useCaseName: "lc-openai" }, async () => {
        const out = await chatOpenAI().invoke("Write a limerick about ledgers.", {
          callbacks: [cb],
          metadata: { costtrail: { userId: "u-1", requestProperties: { plan: "pro" } } },
        });
        // The run's annotations stay inside the model call: the caller's context is unchanged after it.
        expect(currentAnnotations()).toMatchObject({ useCaseName: "lc-openai" });
        expect(currentAnnotations().userId).toBeUndefined();
        return out;
      });
      expect(String(reply.content)).toBeTruthy();
      const events = await h.eventsSettled(1);
      expect(events).toHaveLength(1);
      expect(h.mock.requests).toHaveLength(1);
      expect(events[0]).toMatchObject({
        provider: "openai",
        operation: "chat",
        requestModel: "gpt-4o-mini",
        usage: h.mock.requests[0]!.usage!,
        annotations: {
          useCaseName: "lc-openai",
          userId: "u-1",
          requestTags: ["langchain"],
          requestProperties: { plan: "pro" },
        },
      });
      // Control: the same call without the handler carries only the trackContext annotations.
      await trackContext({ useCaseName: "lc-openai" }, () => chatOpenAI().invoke("Again."));
      const [, bare] = await h.eventsSettled(2);
      expect(bare?.annotations.userId).toBeUndefined();
      expect(bare?.annotations.requestTags).toBeUndefined();
    },
  );

  it.skipIf(!langchainOpenAIWorks)(
    "ChatOpenAI: concurrent invokes, .batch(), .stream() and a sequence each get their own run's annotations",
    async () => {
      await h.start().ready;
      const cb = handler();
      const run = (model: string, userId: string) =>
        chatOpenAI(model).invoke(`Hello from ${userId}`, {
          callbacks: [cb],
          metadata: { costtrail: { userId } },
        });
      await trackContext({ useCaseName: "lc-concurrent" }, () =>
        Promise.all([run("gpt-4o", "a"), run("gpt-4o-mini", "b"), run("gpt-4.1", "c")]),
      );
      await chatOpenAI("gpt-4.1-mini").batch(["x", "y"], {
        callbacks: [cb],
        metadata: { costtrail: { userId: "batch" } },
      });
      const stream = await chatOpenAI("gpt-4.1-nano").stream("Stream it", {
        callbacks: [cb],
        metadata: { costtrail: { userId: "stream" } },
      });
      let streamed = "";
      for await (const chunk of stream) streamed += String(chunk.content);
      expect(streamed).toBeTruthy();
      expect(currentAnnotations().userId).toBeUndefined();
      const chain = RunnableSequence.from([
        RunnableLambda.from((s: string) => `${s}!`),
        chatOpenAI("o4-mini"),
      ]);
      await chain.invoke("Chain it", { callbacks: [cb], metadata: { costtrail: { userId: "chain" } } });

      const events = await h.eventsSettled(7);
      expect(events).toHaveLength(7);
      expect(h.mock.requests).toHaveLength(7);
      const byModel = Object.fromEntries(events.map((e) => [e.requestModel, e.annotations.userId]));
      expect(byModel).toEqual({
        "gpt-4o": "a",
        "gpt-4o-mini": "b",
        "gpt-4.1": "c",
        "gpt-4.1-mini": "batch",
        "gpt-4.1-nano": "stream",
        "o4-mini": "chain",
      });
      expect(events.filter((e) => e.requestModel === "gpt-4.1-mini")).toHaveLength(2);
      expect(events.find((e) => e.requestModel === "gpt-4.1-nano")?.stream).toBe(true);
      expect(events.map((e) => e.usage).sort(byInput)).toEqual(
        h.mock.requests.map((r) => r.usage).sort(byInput),
      );
    },
  );

  it("ChatAnthropic: one event per call, whether its SDK copy is patched or not", async () => {
    await h.start().ready;
    const model = new ChatAnthropic({
      model: "claude-haiku-4-5",
      apiKey: "test",
      maxRetries: 0,
      anthropicApiUrl: h.mock.anthropicBaseURL,
    });
    const cb = handler();
    const ask = () =>
      model.invoke(
        [
          {
            role: "system",
            content: [
              { type: "text", text: "Ledger policy. ".repeat(300), cache_control: { type: "ephemeral" } },
            ],
          },
          { role: "user", content: "Summarise the policy." },
        ],
        { callbacks: [cb], metadata: { costtrail: { userId: "u-anthropic" } } },
      );
    await trackContext({ useCaseName: "lc-anthropic" }, async () => {
      await ask();
      await ask();
    });
    const events = await h.eventsSettled(2);
    expect(events).toHaveLength(2);
    expect(h.mock.requests).toHaveLength(2);
    // @langchain/anthropic here pins its own @anthropic-ai/sdk: if that copy is not the one costtrail patched,
    // the handler records the call itself; either way, once, with the same normalised usage.
    expect(events.map((e) => e.usage)).toEqual(h.mock.requests.map((r) => r.usage));
    expect(events[0]?.usage.cacheWriteTokens).toBeGreaterThan(0);
    expect(events[1]?.usage.cacheReadTokens).toBeGreaterThan(0);
    for (const event of events)
      expect(event).toMatchObject({
        provider: "anthropic",
        requestModel: "claude-haiku-4-5",
        annotations: { useCaseName: "lc-anthropic", userId: "u-anthropic", requestTags: ["langchain"] },
      });
  });
});

function byInput(a: { inputTokens: number } | undefined, b: { inputTokens: number } | undefined): number {
  return (a?.inputTokens ?? 0) - (b?.inputTokens ?? 0);
}

function expectFake(event: UsageEvent | undefined, usage: UsageMetadata, annotations: object) {
  expect(event).toMatchObject({
    provider: "fakeprovider",
    operation: "chat",
    requestModel: "fake-model-1",
    responseModel: "fake-model-1-2026",
    status: "ok",
    usage: normal(usage),
    annotations,
  });
}

describe("models costtrail does not patch: the handler records them", () => {
  it("invoke: one event per call, usage_metadata normalised, annotations from context, handler and metadata", async () => {
    // Priced like any call: the handler's record goes through the same pipeline.
    await h.start({ prices: [{ model: "fake-model-1", inputPerMTok: 1, outputPerMTok: 4 }] }).ready;
    const model = new UsageChatModel({});
    const cb = handler();
    await trackContext({ useCaseName: "lc-fake", accountName: "acme" }, async () => {
      await model.invoke("Is invoice 7 paid?", {
        callbacks: [cb],
        metadata: { costtrail: { userId: "u-9" } },
      });
      await model.invoke("And invoice 8?", { callbacks: [cb] });
    });
    const events = await h.eventsSettled(2);
    expect(events).toHaveLength(2);
    const context = { useCaseName: "lc-fake", accountName: "acme", requestTags: ["langchain"] };
    expectFake(events[0], model.reported[0]!, { ...context, userId: "u-9" });
    expectFake(events[1], model.reported[1]!, context);
    expect(events[1]?.annotations.userId).toBeUndefined();
    // Both calls belong to the one trackContext instance.
    expect(events[0]?.annotations.useCaseId).toBe(events[1]?.annotations.useCaseId);
    expect(events[0]?.usage.inputTokens).toBe(model.reported[0]!.input_tokens);
    expect(events[0]).toMatchObject({ costSource: "override", stream: false });
    expect(events[0]?.costMicros).toBeGreaterThan(0);
  });

  it("a RunnableSequence (prompt → model → parser → model) records each model call once, in context", async () => {
    await h.start().ready;
    const model = new UsageChatModel({});
    const prompt = ChatPromptTemplate.fromMessages([["user", "Classify: {text}"]]);
    const chain = RunnableSequence.from([
      prompt,
      model,
      new StringOutputParser(),
      RunnableLambda.from((s: string) => `Explain: ${s}`),
      model,
    ]);
    const out = await trackContext({ useCaseName: "lc-chain", userId: "u-chain" }, () =>
      chain.invoke({ text: "late fee" }, { callbacks: [handler()] }),
    );
    expect(out.content).toBeTruthy();
    const events = await h.eventsSettled(2);
    expect(events).toHaveLength(2);
    expect(model.reported).toHaveLength(2);
    for (const [i, event] of events.entries())
      expectFake(event, model.reported[i]!, {
        useCaseName: "lc-chain",
        userId: "u-chain",
        requestTags: ["langchain"],
      });
  });

  it(".batch() records each input once; concurrent contexts stay isolated", async () => {
    await h.start().ready;
    const model = new UsageChatModel({});
    const cb = handler();
    await Promise.all(
      ["alice", "bob"].map((userId) =>
        trackContext({ useCaseName: "lc-batch", userId }, () =>
          model.batch([`${userId} one`, `${userId} two`, `${userId} three`], { callbacks: [cb] }),
        ),
      ),
    );
    const events = await h.eventsSettled(6);
    expect(events).toHaveLength(6);
    expect(model.reported).toHaveLength(6);
    for (const userId of ["alice", "bob"]) {
      const mine = events.filter((e) => e.annotations.userId === userId);
      expect(mine).toHaveLength(3);
      expect(new Set(mine.map((e) => e.annotations.useCaseId)).size).toBe(1);
    }
    // Each event has the usage its own call reported (prompt lengths differ per user).
    expect(events.map((e) => e.usage).sort(byInput)).toEqual(model.reported.map(normal).sort(byInput));
  });

  it(".stream(): the user gets the chunks, one streamed event with the final usage", async () => {
    await h.start().ready;
    const model = new UsageChatModel({});
    const text = await trackContext({ useCaseName: "lc-stream", userId: "u-s" }, async () => {
      let acc = "";
      for await (const chunk of await model.stream("Stream the status", { callbacks: [handler()] }))
        acc += String(chunk.content);
      return acc;
    });
    expect(text).toMatch(/^Paid in full/);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      stream: true,
      usage: normal(model.reported[0]!),
      annotations: { useCaseName: "lc-stream", userId: "u-s" },
    });
    expect(events[0]?.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it("a LangChain cache hit calls no provider: its event has zero tokens", async () => {
    await h.start().ready;
    const model = new UsageChatModel({ cache: new InMemoryCache() });
    const cb = handler();
    await model.invoke("Same question", { callbacks: [cb] });
    await model.invoke("Same question", { callbacks: [cb] });
    const events = await h.eventsSettled(2);
    expect(model.reported).toHaveLength(1);
    expect(events).toHaveLength(2);
    expect(events[0]?.usage).toEqual(normal(model.reported[0]!));
    expect(events[1]).toMatchObject({
      status: "ok",
      stream: false,
      usage: { inputTokens: 0, outputTokens: 0 },
    });
  });

  it("a block limit stops the run before the model is called: LimitExceededError, one blocked event", async () => {
    await h.start({ prices: [{ model: "fake-model-1", inputPerMTok: 1, outputPerMTok: 4 }] }).ready;
    getRuntime()!.limits = {
      reserve() {
        throw new LimitExceededError({ limitId: "lc-budget", spentUsd: 1, maxUsd: 1, window: "month" });
      },
    };
    const model = new UsageChatModel({});
    const quiet = console.error;
    console.error = () => {}; // LangChain logs a raising handler's error before rethrowing it
    try {
      await expect(model.invoke("hi", { callbacks: [handler()] })).rejects.toBeInstanceOf(LimitExceededError);
    } finally {
      console.error = quiet;
    }
    expect(model.reported).toHaveLength(0);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      status: "blocked",
      limitsExceeded: ["lc-budget"],
      provider: "fakeprovider",
    });
  });

  it("a failing model: the user gets its error, one error event", async () => {
    await h.start().ready;
    const model = new UsageChatModel({}).failNext();
    await expect(model.invoke("hi", { callbacks: [handler()] })).rejects.toThrow("fake provider is down");
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "error", provider: "fakeprovider", errorType: "Error" });
  });

  it("FakeListChatModel (no usage reported): still one event per call, with zero tokens", async () => {
    const warnings: string[] = [];
    await h.start({ logger: { warn: (m) => warnings.push(m), error: () => {} } }).ready;
    const model = new FakeListChatModel({ responses: ["one", "two"] });
    const cb = handler();
    await trackContext({ useCaseName: "lc-fakelist" }, async () => {
      await model.invoke("a", { callbacks: [cb] });
      await model.invoke("b", { callbacks: [cb] });
    });
    const events = await h.eventsSettled(2);
    expect(events).toHaveLength(2);
    for (const e of events)
      expect(e).toMatchObject({
        status: "ok",
        usage: { inputTokens: 0, outputTokens: 0 },
        annotations: { useCaseName: "lc-fakelist" },
      });
    expect(warnings.some((w) => w.includes("report no token usage"))).toBe(true);
  });

  it("invalid metadata.costtrail is ignored with a warning; invalid handler annotations throw AnnotationError", async () => {
    const warnings: string[] = [];
    await h.start({ logger: { warn: (m) => warnings.push(m), error: () => {} } }).ready;
    const model = new UsageChatModel({});
    await model.invoke("hi", { callbacks: [handler()], metadata: { costtrail: { userId: "" } } });
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.annotations.userId).toBeUndefined();
    expect(warnings.some((w) => w.includes("costtrail.userId"))).toBe(true);
    expect(() => new CostTrailCallbackHandler({ annotations: { nope: "x" } as never })).toThrow(
      AnnotationError,
    );
  });

  it("without instrument() the handler records nothing and stays out of the way", async () => {
    const model = new UsageChatModel({});
    const reply = await model.invoke("hi", { callbacks: [handler()] });
    expect(reply.content).toBeTruthy();
    await h.start().ready;
    await new Promise((r) => setTimeout(r, 20));
    expect(h.events).toHaveLength(0);
  });
});
