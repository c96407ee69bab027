import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHeaders, trackContext } from "../../src/index.js";
import { createHarness, type Harness, stable } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const messages = [{ role: "user" as const, content: "Write a haiku about invoices." }];

function usageOfLastRequest() {
  const usage = h.mock.requests.at(-1)?.usage;
  expect(usage).toBeDefined();
  return usage!;
}

describe("OpenAI chat.completions", () => {
  it("create: one event with the mock's exact usage and annotations from scopes and headers", async () => {
    h.start();
    const client = h.openai();
    const result = await trackContext({ useCaseName: "invoices", userId: "u-1", limitIds: ["a"] }, () =>
      client.chat.completions.create(
        { model: "gpt-4o", messages },
        { headers: createHeaders({ userId: "u-2", requestTags: ["t"], limitIds: ["b"] }) },
      ),
    );
    expect(result.choices[0]?.message.content).toBeTruthy();
    const [event] = await h.eventsSettled(1);
    expect(h.events).toHaveLength(1);
    expect(event).toMatchObject({
      provider: "openai",
      operation: "chat",
      requestModel: "gpt-4o",
      responseModel: result.model,
      stream: false,
      status: "ok",
      httpStatus: 200,
      attempts: 1,
      usage: usageOfLastRequest(),
      annotations: { useCaseName: "invoices", userId: "u-2", limitIds: ["a", "b"], requestTags: ["t"] },
    });
    expect(event?.annotations.useCaseId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event?.usage.inputTokens).toBe(result.usage?.prompt_tokens);
    // No costtrail header leaves the process.
    expect(Object.keys(h.mock.requests[0]!.headers).filter((k) => k.startsWith("x-costtrail-"))).toEqual([]);
  });

  it("a misspelt x-costtrail-* header never leaves the process either", async () => {
    h.start({ logger: { warn: () => {}, error: () => {} } });
    await h
      .openai()
      .chat.completions.create({ model: "gpt-4o", messages }, { headers: { "x-costtrail-user": "typo" } });
    expect(Object.keys(h.mock.requests[0]!.headers).filter((k) => k.startsWith("x-costtrail-"))).toEqual([]);
  });

  it("x-costtrail-* headers set through fetchOptions (the client's or the request's) never leave the process", async () => {
    h.start({ logger: { warn: () => {}, error: () => {} } });
    // fetchOptions.headers replaces the headers the SDK built (openai's buildRequest spreads it last).
    const headers = {
      authorization: "Bearer test",
      "content-type": "application/json",
      "x-costtrail-user-id": "f",
    };
    // The SDK's types leave `headers` out of fetchOptions; JavaScript callers can still pass them.
    await h
      .openai({ fetchOptions: { headers } as never })
      .chat.completions.create({ model: "gpt-4o", messages });
    await h
      .openai()
      .chat.completions.create(
        { model: "gpt-4o", messages },
        { fetchOptions: { headers: new Headers(headers) } as never },
      );
    expect(h.mock.requests).toHaveLength(2);
    for (const request of h.mock.requests)
      expect(Object.keys(request.headers).filter((k) => k.startsWith("x-costtrail-"))).toEqual([]);
  });

  it("the client's default headers and the request's headers merge like scopes: lists union", async () => {
    h.start();
    const client = h.openai({
      defaultHeaders: createHeaders({ limitIds: ["team"], userId: "default-user" }),
    });
    await client.chat.completions.create(
      { model: "gpt-4o", messages },
      { headers: createHeaders({ limitIds: ["request"], userId: "request-user" }) },
    );
    const [event] = await h.eventsSettled(1);
    expect(event?.annotations).toMatchObject({ limitIds: ["team", "request"], userId: "request-user" });
    expect(Object.keys(h.mock.requests[0]!.headers).filter((k) => k.startsWith("x-costtrail-"))).toEqual([]);
  });

  it("forwardHeaders: true keeps the headers on the wire", async () => {
    h.start({ forwardHeaders: true });
    await h
      .openai()
      .chat.completions.create({ model: "gpt-4o", messages }, { headers: createHeaders({ userId: "u" }) });
    expect(h.mock.requests[0]!.headers["x-costtrail-user-id"]).toBe("u");
  });

  it("stream without include_usage: the user sees exactly the bare stream, the event gets the usage", async () => {
    const client = h.openai();
    const collect = async () => {
      const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true });
      const chunks: unknown[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      return chunks;
    };
    const bare = await collect();
    h.mock.reset();
    h.start();
    const instrumented = await collect();
    expect(stable(instrumented)).toEqual(stable(bare));
    expect(JSON.stringify(instrumented)).not.toContain("usage");
    expect((h.mock.requests[0]!.body as any).stream_options).toEqual({ include_usage: true });
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ stream: true, status: "ok", usage: usageOfLastRequest() });
    expect(event?.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it("stream with include_usage asked by the user: the usage chunk stays visible", async () => {
    h.start();
    const stream = await h.openai().chat.completions.create({
      model: "gpt-4o",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: any[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)?.usage?.prompt_tokens).toBeGreaterThan(0);
    expect((await h.eventsSettled(1))[0]?.usage).toEqual(usageOfLastRequest());
  });

  it("chat.completions.stream() helper: events and finalChatCompletion work, one event", async () => {
    h.start();
    const runner = h.openai().chat.completions.stream({ model: "gpt-4o", messages });
    let text = "";
    runner.on("content", (delta) => {
      text += delta;
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(text);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ stream: true, status: "ok", usage: usageOfLastRequest() });
  });

  it("chat.completions.parse() with a JSON schema: one event", async () => {
    h.start();
    const parsed = await h.openai().chat.completions.parse({
      model: "gpt-4o",
      messages,
      response_format: {
        type: "json_schema",
        json_schema: { name: "out", schema: { type: "object", properties: { a: { type: "string" } } } },
      },
    });
    expect(parsed.choices[0]?.message.parsed).toBeTypeOf("object");
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.usage).toEqual(usageOfLastRequest());
  });

  it("withResponse() and asResponse() keep working and record one event each", async () => {
    h.start();
    const client = h.openai();
    const { data, response, request_id } = await client.chat.completions
      .create({ model: "gpt-4o", messages })
      .withResponse();
    expect(response.status).toBe(200);
    expect(request_id).toBeTruthy();
    expect(data.choices[0]?.message.content).toBeTruthy();
    const raw = await client.chat.completions.create({ model: "gpt-4o", messages }).asResponse();
    const body = await raw.json(); // the user can still read the raw body
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    const events = await h.eventsSettled(2);
    expect(events).toHaveLength(2);
    expect(events[1]?.usage.inputTokens).toBe(body.usage.prompt_tokens);
  });
});

describe("OpenAI responses and embeddings", () => {
  it("responses.create plain and streamed, and responses.stream()", async () => {
    h.start();
    const client = h.openai();
    const plain = await client.responses.create({ model: "gpt-4o", input: "Hello there" });
    expect(plain.output_text).toBeTruthy();
    const stream = await client.responses.create({ model: "o4-mini", input: "Think", stream: true });
    for await (const _ of stream) {
      // drain
    }
    const helper = client.responses.stream({ model: "gpt-4o", input: "Stream me" });
    const final = await helper.finalResponse();
    expect(final.status).toBe("completed");
    const events = await h.eventsSettled(3);
    expect(events.map((e) => [e.operation, e.stream, e.status])).toEqual([
      ["responses", false, "ok"],
      ["responses", true, "ok"],
      ["responses", true, "ok"],
    ]);
    const usages = h.mock.requests.map((r) => r.usage);
    expect(events.map((e) => e.usage)).toEqual(usages);
    expect(events[1]?.usage.reasoningTokens).toBeGreaterThan(0);
  });

  it("embeddings.create: the SDK still decodes base64, the event has the input tokens", async () => {
    h.start();
    const result = await h
      .openai()
      .embeddings.create({ model: "text-embedding-3-small", input: ["a b c", "d"] });
    expect(Array.isArray(result.data[0]?.embedding)).toBe(true);
    expect(typeof result.data[0]?.embedding[0]).toBe("number");
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ operation: "embeddings", usage: usageOfLastRequest() });
  });
});

describe("Azure OpenAI", () => {
  it("is provider azure-openai with the deployment as the request model", async () => {
    h.start();
    const client = h.azure("my-gpt4o");
    const result = await client.chat.completions.create({ model: "gpt-4o", messages });
    expect(result.choices[0]?.message.content).toBeTruthy();
    const byModel = h.azure();
    await byModel.embeddings.create({ model: "embed-deploy", input: "x" });
    const events = await h.eventsSettled(2);
    expect(events[0]).toMatchObject({ provider: "azure-openai", requestModel: "my-gpt4o" });
    expect(events[0]?.usage).toEqual(h.mock.requests[0]!.usage);
    expect(events[1]).toMatchObject({
      provider: "azure-openai",
      requestModel: "embed-deploy",
      operation: "embeddings",
    });
    expect(h.mock.requests[0]!.path).toContain("/openai/deployments/my-gpt4o/");
  });
});

describe("pricing on the event", () => {
  it("prices with genai-prices, honours priceAsResource for Azure deployments, and overrides win", async () => {
    const { calcPrice } = await import("@pydantic/genai-prices");
    h.start({ prices: [{ model: "my-finetune", inputPerMTok: 1, outputPerMTok: 2 }] });
    await h.openai().chat.completions.create({ model: "gpt-4o", messages });
    await trackContext({ priceAsResource: "gpt-4o-mini" }, () =>
      h.azure("prod-deploy").chat.completions.create({ model: "gpt-4o", messages }),
    );
    await h.openai().chat.completions.create({ model: "my-finetune", messages });
    await h.openai().chat.completions.create({ model: "no-such-model", messages });
    const [plain, azure, custom, unknown] = await h.eventsSettled(4);
    const u = plain!.usage;
    const expected = calcPrice(
      { input_tokens: u.inputTokens, output_tokens: u.outputTokens, cache_read_tokens: u.cacheReadTokens },
      plain!.responseModel!,
      { providerId: "openai", timestamp: new Date(plain!.ts) },
    );
    expect(plain).toMatchObject({
      costSource: "computed",
      costMicros: Math.round(expected!.total_price * 1e6),
    });
    expect(azure).toMatchObject({
      provider: "azure-openai",
      requestModel: "prod-deploy",
      costSource: "computed",
    });
    expect(azure!.costMicros).toBeGreaterThan(0);
    expect(custom).toMatchObject({
      costSource: "override",
      costMicros: custom!.usage.inputTokens * 1 + custom!.usage.outputTokens * 2,
    });
    expect(unknown).toMatchObject({ costSource: "unpriced", costMicros: null });
  });
});
