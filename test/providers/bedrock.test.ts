// The real AWS SDK against the mock's Bedrock Runtime endpoints (HTTP/2, event-stream framing). Each case that
// can runs the same code bare and instrumented and compares what the user sees.
import {
  BedrockRuntime,
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { instrument, LimitExceededError, trackContext, type UsageEvent } from "../../src/index.js";
import type { ReserveRequest } from "../../src/limits/gate.js";
import { getRuntime } from "../../src/runtime.js";
import { startMockProvider } from "../../src/testing.js";
import { createHarness, type Harness, stable } from "../support/harness.js";

let h: Harness;
const clients: BedrockRuntimeClient[] = [];
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(async () => {
  for (const c of clients) c.destroy();
  await h.mock.close();
});

function bedrock(config: Partial<BedrockRuntimeClientConfig> = {}): BedrockRuntimeClient {
  const client = new BedrockRuntimeClient({
    endpoint: h.mock.bedrockEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    maxAttempts: 1,
    ...config,
  });
  clients.push(client);
  return client;
}

const CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const ask = (text: string) => [{ role: "user" as const, content: [{ text }] }];
const scope = { useCaseName: "bedrock-test", userId: "u-7", requestTags: ["aws"] };

async function outcome(fn: () => Promise<unknown>) {
  try {
    return { ok: await fn() };
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { error: { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode } };
  }
}

/** Runs `fn` bare, then instrumented (same faults re-applied); returns both outcomes and the events. */
async function sideBySide(fn: () => Promise<unknown>, arrange: () => void = () => {}) {
  arrange();
  const bare = await outcome(fn);
  h.mock.reset();
  await h.start().ready;
  arrange();
  const instrumented = await outcome(fn);
  return { bare, instrumented };
}

/** What the user saw, minus what differs per response (request ids, message ids, latency). */
function seen(value: unknown): unknown {
  return stable(
    JSON.parse(
      JSON.stringify(value, (key, v) =>
        key === "$metadata" || key === "requestId"
          ? undefined
          : v instanceof Uint8Array
            ? JSON.parse(new TextDecoder().decode(v))
            : v,
      ),
    ),
  );
}

function expectTracked(event: UsageEvent | undefined, fields: Partial<UsageEvent>) {
  expect(event).toMatchObject({ provider: "bedrock", annotations: scope, ...fields });
  expect(event?.annotations.useCaseId).toMatch(/^[0-9a-f-]{36}$/);
}

async function drain(stream: AsyncIterable<unknown> | undefined): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const event of stream ?? []) out.push(event);
  return out;
}

describe("Converse", () => {
  it("one event with the mock's exact usage, annotations from trackContext; the user's output unchanged", async () => {
    const run = () =>
      trackContext(scope, () =>
        bedrock().send(new ConverseCommand({ modelId: CLAUDE, messages: ask("Summarise the invoice.") })),
      );
    const { bare, instrumented } = await sideBySide(run);
    expect(seen(instrumented)).toEqual(seen(bare));
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expectTracked(events[0], {
      operation: "chat",
      requestModel: CLAUDE,
      stream: false,
      status: "ok",
      httpStatus: 200,
      attempts: 1,
      usage: h.mock.requests[0]!.usage!,
    });
  });

  it("cache points: inputTokens = Bedrock's inputTokens + cache read + cache write, each counted once", async () => {
    await h.start().ready;
    const input: ConverseCommandInput = {
      modelId: CLAUDE,
      system: [{ text: "You are a careful accountant. ".repeat(200) }, { cachePoint: { type: "default" } }],
      messages: ask("Which invoices are late?"),
    };
    const client = bedrock();
    const first = await client.send(new ConverseCommand(input));
    const second = await client.send(new ConverseCommand(input));
    expect(first.usage?.cacheWriteInputTokens).toBeGreaterThan(0);
    expect(second.usage?.cacheReadInputTokens).toBeGreaterThan(0);
    const events = await h.eventsSettled(2);
    expect(events.map((e) => e.usage)).toEqual(h.mock.requests.map((r) => r.usage));
    for (const [event, wire] of [
      [events[0], first.usage],
      [events[1], second.usage],
    ] as const) {
      expect(event?.usage).toMatchObject({
        inputTokens:
          wire!.inputTokens! + (wire!.cacheReadInputTokens ?? 0) + (wire!.cacheWriteInputTokens ?? 0),
        cacheReadTokens: wire!.cacheReadInputTokens,
        cacheWriteTokens: wire!.cacheWriteInputTokens,
        outputTokens: wire!.outputTokens,
      });
    }
  });

  it("the aggregated BedrockRuntime client and callback-style send() are tracked too", async () => {
    await h.start().ready;
    const aggregated = new BedrockRuntime({
      endpoint: h.mock.bedrockEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
      maxAttempts: 1,
    });
    const viaMethod = await trackContext(scope, () =>
      aggregated.converse({ modelId: "amazon.nova-lite-v1:0", messages: ask("Hi") }),
    );
    expect(viaMethod.output?.message?.content?.[0]?.text).toBeTruthy();
    const viaCallback = await trackContext(
      scope,
      () =>
        new Promise<unknown>((resolve, reject) =>
          bedrock().send(
            new ConverseCommand({ modelId: "amazon.nova-lite-v1:0", messages: ask("Hello") }),
            (error, data) => (error ? reject(error) : resolve(data)),
          ),
        ),
    );
    expect((viaCallback as any).usage.outputTokens).toBeGreaterThan(0);
    const events = await h.eventsSettled(2);
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.usage)).toEqual(h.mock.requests.map((r) => r.usage));
    for (const event of events) expectTracked(event, { operation: "chat", status: "ok" });
    aggregated.destroy();
  });
});

describe("ConverseStream", () => {
  it("the user sees the same events; one event with the metadata event's usage", async () => {
    const run = () =>
      trackContext(scope, async () => {
        const out = await bedrock().send(
          new ConverseStreamCommand({
            modelId: "amazon.nova-pro-v1:0",
            system: [{ text: "Be brief. ".repeat(300) }, { cachePoint: { type: "default" } }],
            messages: ask("Stream me a reply."),
          }),
        );
        return drain(out.stream);
      });
    const { bare, instrumented } = await sideBySide(run);
    expect(instrumented).toEqual(bare);
    expect(JSON.stringify(instrumented)).toContain("cacheWriteInputTokens");
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expectTracked(events[0], {
      operation: "chat",
      requestModel: "amazon.nova-pro-v1:0",
      stream: true,
      status: "ok",
      usage: h.mock.requests[0]!.usage!,
    });
    expect(events[0]?.usage.cacheWriteTokens).toBeGreaterThan(0);
    expect(events[0]?.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it("break early: the SDK's stream closes, one aborted event", async () => {
    const run = async () => {
      const out = await bedrock().send(
        new ConverseStreamCommand({ modelId: CLAUDE, messages: ask("Long one") }),
      );
      const got: unknown[] = [];
      for await (const event of out.stream ?? []) {
        got.push(event);
        if (got.length === 3) break;
      }
      return got;
    };
    const { bare, instrumented } = await sideBySide(run);
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "aborted", errorType: "StreamClosedEarly", stream: true });
    // Cut before the metadata event: estimated from the request and the deltas seen (one token per delta, or
    // ≈ 4 characters per token of their text, whichever is more).
    const deltas = (
      (instrumented as { ok: { contentBlockDelta?: { delta?: { text?: string } } }[] }).ok ?? []
    )
      .map((e) => e.contentBlockDelta?.delta?.text)
      .filter((t) => t !== undefined);
    expect(deltas).toHaveLength(2);
    expect(events[0]?.usage.inputTokens).toBeGreaterThan(0);
    expect(events[0]?.usage.outputTokens).toBe(Math.max(2, Math.ceil(deltas.join("").length / 4)));
  });

  it("abortSignal mid-stream: the SDK ends the stream quietly, as bare; one aborted event", async () => {
    // A slow stream, so the abort lands before the rest has arrived.
    const slow = await startMockProvider({ chunkDelayMs: 15 });
    try {
      const run = async () => {
        const controller = new AbortController();
        const out = await bedrock({ endpoint: slow.bedrockEndpoint }).send(
          new ConverseStreamCommand({ modelId: CLAUDE, messages: ask("Abort me") }),
          { abortSignal: controller.signal },
        );
        let n = 0;
        for await (const _ of out.stream ?? []) if (++n === 2) controller.abort();
        return n;
      };
      const { bare, instrumented } = await sideBySide(run);
      expect(bare).toEqual({ ok: 2 });
      expect(instrumented).toEqual(bare);
      const events = await h.eventsSettled(1);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ status: "aborted", errorType: "AbortError" });
      expect(events[0]?.usage.outputTokens).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it("a mid-stream disconnect: same error for the user, one error event", async () => {
    const run = async () => {
      const out = await bedrock().send(new ConverseStreamCommand({ modelId: CLAUDE, messages: ask("Cut") }));
      return (await drain(out.stream)).length;
    };
    const { bare, instrumented } = await sideBySide(run, () =>
      h.mock.enqueueFault({ provider: "bedrock", disconnectAfterChunks: 3 }),
    );
    expect(bare.error).toBeDefined();
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "error", stream: true });
  });
});

const invokeCases = [
  {
    family: "Anthropic (cache_control; usage.input_tokens excludes cache)",
    modelId: "anthropic.claude-3-5-haiku-20241022-v1:0",
    body: {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 200,
      system: [{ type: "text", text: "Ledger rules. ".repeat(300), cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "Reconcile March." }],
    },
    responseModel: "claude-3-5-haiku-20241022",
  },
  {
    family: "Amazon Nova (usage.inputTokens, cachePoint)",
    modelId: "us.amazon.nova-lite-v1:0",
    body: {
      schemaVersion: "messages-v1",
      system: [{ text: "House style. ".repeat(300) }, { cachePoint: { type: "default" } }],
      messages: [{ role: "user", content: [{ text: "Draft the memo." }] }],
      inferenceConfig: { maxTokens: 100 },
    },
  },
  {
    family: "Meta Llama (prompt_token_count, generation_token_count)",
    modelId: "meta.llama3-1-70b-instruct-v1:0",
    body: { prompt: "<|begin_of_text|>Explain accruals.", max_gen_len: 64 },
  },
  {
    family: "Amazon Titan Text (inputTextTokenCount, results[].tokenCount)",
    modelId: "amazon.titan-text-express-v1",
    body: { inputText: "Explain deferred revenue.", textGenerationConfig: { maxTokenCount: 64 } },
  },
  {
    family: "Mistral (no counts in the body: the x-amzn-bedrock-*-token-count headers)",
    modelId: "mistral.mistral-large-2402-v1:0",
    body: { prompt: "<s>[INST] Explain amortisation. [/INST]", max_tokens: 64 },
  },
];

describe("InvokeModel", () => {
  it.each(invokeCases)("$family: exact usage, the body still readable by the user", async (c) => {
    const run = () =>
      trackContext(scope, async () => {
        const client = bedrock();
        const send = () =>
          client.send(new InvokeModelCommand({ modelId: c.modelId, body: JSON.stringify(c.body) }));
        // Twice, so caching families write then read.
        const first = await send();
        const second = await send();
        return [first.body.transformToString(), second.body.transformToString()];
      });
    const { bare, instrumented } = await sideBySide(run);
    expect(seen((instrumented as any).ok.map((s: string) => JSON.parse(s)))).toEqual(
      seen((bare as any).ok.map((s: string) => JSON.parse(s))),
    );
    const events = await h.eventsSettled(2);
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.usage)).toEqual(h.mock.requests.map((r) => r.usage));
    expect(events[0]?.usage.inputTokens).toBeGreaterThan(0);
    expect(events[0]?.usage.outputTokens).toBeGreaterThan(0);
    for (const event of events) {
      expectTracked(event, { operation: "invoke", requestModel: c.modelId, stream: false, status: "ok" });
      if (c.responseModel) expect(event.responseModel).toBe(c.responseModel);
    }
    if (c.body.system) {
      expect(events[0]?.usage.cacheWriteTokens).toBeGreaterThan(0);
      expect(events[1]?.usage.cacheReadTokens).toBe(events[0]?.usage.cacheWriteTokens);
    }
  });

  it("Titan Embeddings: input tokens only", async () => {
    await h.start().ready;
    const out = await bedrock().send(
      new InvokeModelCommand({
        modelId: "amazon.titan-embed-text-v2:0",
        body: JSON.stringify({ inputText: "an invoice line" }),
      }),
    );
    expect(JSON.parse(out.body.transformToString()).embedding).toHaveLength(1024);
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ operation: "invoke", usage: h.mock.requests[0]!.usage! });
    expect(event?.usage).toMatchObject({ inputTokens: 4, outputTokens: 0 });
  });
});

describe("InvokeModelWithResponseStream", () => {
  it.each(invokeCases)("$family: same chunks for the user, one event with exact usage", async (c) => {
    const run = () =>
      trackContext(scope, async () => {
        const out = await bedrock().send(
          new InvokeModelWithResponseStreamCommand({ modelId: c.modelId, body: JSON.stringify(c.body) }),
        );
        return drain(out.body);
      });
    const { bare, instrumented } = await sideBySide(run);
    expect(seen(instrumented)).toEqual(seen(bare));
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expectTracked(events[0], {
      operation: "invoke",
      requestModel: c.modelId,
      stream: true,
      status: "ok",
      usage: h.mock.requests[0]!.usage!,
    });
    if (c.responseModel) expect(events[0]?.responseModel).toBe(c.responseModel);
    if (c.body.system) expect(events[0]?.usage.cacheWriteTokens).toBeGreaterThan(0);
  });

  it("break early: one aborted event; Anthropic's message_start already gave the exact input", async () => {
    await h.start().ready;
    const out = await bedrock().send(
      new InvokeModelWithResponseStreamCommand({
        modelId: invokeCases[0]!.modelId,
        body: JSON.stringify(invokeCases[0]!.body),
      }),
    );
    let n = 0;
    for await (const _ of out.body ?? []) if (++n === 4) break;
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.status).toBe("aborted");
    expect(events[0]?.usage.inputTokens).toBe(h.mock.requests[0]!.usage!.inputTokens);
  });
});

describe("failures", () => {
  it("429 ThrottlingException, retries off: the same error for the user, one error event", async () => {
    const run = () => bedrock().send(new ConverseCommand({ modelId: CLAUDE, messages: ask("Hi") }));
    const { bare, instrumented } = await sideBySide(run, () => h.mock.enqueueFault({ status: 429 }));
    expect(bare.error).toMatchObject({ name: "ThrottlingException", status: 429 });
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      status: "error",
      errorType: "ThrottlingException",
      httpStatus: 429,
      attempts: 1,
    });
  });

  it("429 then success, SDK retries on: one ok event with attempts 2", async () => {
    const run = () =>
      bedrock({ maxAttempts: 3 }).send(
        new InvokeModelCommand({
          modelId: "meta.llama3-8b-instruct-v1:0",
          body: JSON.stringify({ prompt: "Retry me", max_gen_len: 20 }),
        }),
      );
    const { bare, instrumented } = await sideBySide(run, () => h.mock.enqueueFault({ status: 429 }));
    expect(seen(instrumented)).toEqual(seen(bare));
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "ok", attempts: 2, httpStatus: 200 });
    expect(events[0]?.usage).toEqual(h.mock.requests.at(-1)!.usage);
  });

  it("a ValidationException from the model: same error, one error event", async () => {
    const run = () =>
      bedrock().send(
        new InvokeModelCommand({ modelId: CLAUDE, body: JSON.stringify({ messages: [], max_tokens: 1 }) }),
      );
    const { bare, instrumented } = await sideBySide(run);
    expect(bare.error?.name).toBe("ValidationException");
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events[0]).toMatchObject({ status: "error", httpStatus: 400, errorType: "ValidationException" });
  });

  it("commands costtrail does not track pass through untouched, with no event", async () => {
    const run = () =>
      bedrock().send(
        new CountTokensCommand({ modelId: CLAUDE, input: { converse: { messages: ask("Count me") } } }),
      );
    const { bare, instrumented } = await sideBySide(run);
    expect(instrumented).toEqual(bare);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.events).toHaveLength(0);
  });
});

describe("limits", () => {
  it("a block limit: send() rejects with LimitExceededError, Bedrock is not contacted, one blocked event", async () => {
    await h.start().ready;
    const seen: ReserveRequest[] = [];
    getRuntime()!.limits = {
      reserve(request) {
        seen.push(request);
        throw new LimitExceededError({ limitId: "aws-budget", spentUsd: 10, maxUsd: 10, window: "day" });
      },
    };
    const client = bedrock();
    const command = new ConverseCommand({
      modelId: CLAUDE,
      messages: ask("Over budget?"),
      inferenceConfig: { maxTokens: 300 },
    });
    await expect(trackContext(scope, () => client.send(command))).rejects.toBeInstanceOf(LimitExceededError);
    const viaCallback = await new Promise<unknown>((resolve) =>
      client.send(command, (error) => resolve(error)),
    );
    expect(viaCallback).toBeInstanceOf(LimitExceededError);
    expect(h.mock.requests).toHaveLength(0);
    const events = await h.eventsSettled(2);
    expect(events.map((e) => [e.status, e.limitsExceeded])).toEqual([
      ["blocked", ["aws-budget"]],
      ["blocked", ["aws-budget"]],
    ]);
    // The reservation is priced from the request: its estimated input and its maxTokens.
    expect(seen[0]).toMatchObject({ provider: "bedrock", requestModel: CLAUDE, annotations: scope });
    expect(seen[0]!.reserveMicros).toBeGreaterThan(0);
  });
});

describe("lifecycle", () => {
  it("a client built before instrument() is tracked; after shutdown() send is restored", async () => {
    const early = bedrock();
    const handle = h.start();
    await handle.ready;
    expect(Object.hasOwn(BedrockRuntimeClient.prototype, "send")).toBe(true);
    await early.send(new ConverseCommand({ modelId: CLAUDE, messages: ask("Before") }));
    expect(await h.eventsSettled(1)).toHaveLength(1);
    await handle.shutdown();
    expect(Object.hasOwn(BedrockRuntimeClient.prototype, "send")).toBe(false);
    const seenAfter: unknown[] = [];
    const again = instrument({ ledger: false, onEvent: (e) => seenAfter.push(e) });
    await again.shutdown();
    await early.send(new ConverseCommand({ modelId: CLAUDE, messages: ask("After") }));
    expect(seenAfter).toHaveLength(0);
  });

  it("instrument() twice never double-patches: one event per call", async () => {
    await h.start().ready;
    await h.start().ready;
    await bedrock().send(new ConverseCommand({ modelId: CLAUDE, messages: ask("Once") }));
    expect(await h.eventsSettled(1)).toHaveLength(1);
  });
});
