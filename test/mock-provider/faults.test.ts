import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { startMockProvider } from "../../src/testing.js";
import { useMock } from "./helpers.js";

const c = useMock();
const hello = { model: "gpt-4o", messages: [{ role: "user" as const, content: "hello" }] };

describe("faults", () => {
  it("429 with retry-after is retried by the SDK: two requests recorded, the second succeeds", async () => {
    const openai = new OpenAI({ baseURL: c.mock.openaiBaseURL, apiKey: "test", maxRetries: 2 });
    c.mock.enqueueFault({ status: 429, retryAfterSeconds: 0.01 });
    const completion = await openai.chat.completions.create(hello);
    expect(completion.choices[0]!.message.content).toBeTruthy();
    expect(c.mock.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(c.mock.requests[0]!.fault).toEqual({ status: 429, retryAfterSeconds: 0.01 });
    expect(c.mock.requests[0]!.usage).toBeUndefined();
    expect(c.mock.requests[1]!.usage).toBeDefined();
  });

  it("sends retry-after and the provider's error shape", async () => {
    c.mock.enqueueFault({ status: 429, retryAfterSeconds: 3 });
    const response = await fetch(`${c.mock.openaiBaseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer test", "content-type": "application/json" },
      body: JSON.stringify(hello),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    expect(await response.json()).toEqual({
      error: { message: expect.any(String), type: "requests", param: null, code: "rate_limit_exceeded" },
    });
  });

  it("Anthropic retries a 429 too, and sees rate_limit_error", async () => {
    const anthropic = new Anthropic({ baseURL: c.mock.anthropicBaseURL, apiKey: "test", maxRetries: 1 });
    c.mock.enqueueFault({ status: 429, retryAfterSeconds: 0.01, times: 2 });
    const error = await anthropic.messages
      .create({ model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error).toMatchObject({
      status: 429,
      error: { type: "error", error: { type: "rate_limit_error" } },
    });
    expect(c.mock.requests).toHaveLength(2);
  });

  it("500 surfaces as InternalServerError; a custom body replaces the default", async () => {
    c.mock.enqueueFault({ status: 500 });
    await expect(c.openai.chat.completions.create(hello)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    c.mock.enqueueFault({
      status: 400,
      body: { error: { message: "custom", type: "x", param: null, code: "y" } },
    });
    await expect(c.openai.chat.completions.create(hello)).rejects.toMatchObject({
      status: 400,
      code: "y",
      message: "400 custom",
    });
    expect(c.mock.requests.map((r) => r.status)).toEqual([500, 400]);
  });

  it("applies a fault to `times` matching requests only, honouring provider/operation filters", async () => {
    c.mock.enqueueFault({ status: 503, operation: "embeddings", times: 2 });
    await c.openai.chat.completions.create(hello);
    for (let i = 0; i < 2; i++) {
      await expect(
        c.openai.embeddings.create({ model: "text-embedding-3-small", input: "x" }),
      ).rejects.toMatchObject({
        status: 503,
      });
    }
    await c.openai.embeddings.create({ model: "text-embedding-3-small", input: "x" });
    expect(c.mock.requests.map((r) => r.status)).toEqual([200, 503, 503, 200]);
  });

  it("malformed: a truncated JSON body makes the SDK throw", async () => {
    c.mock.enqueueFault({ malformed: true });
    await expect(c.openai.chat.completions.create(hello)).rejects.toThrow();
    expect(c.mock.requests[0]).toMatchObject({ status: 200, fault: { malformed: true } });
    expect(c.mock.requests[0]!.usage).toBeDefined();

    c.mock.enqueueFault({ malformed: true });
    const stream = await c.anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 10,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(
      (async () => {
        for await (const _event of stream) {
          // drain
        }
      })(),
    ).rejects.toThrow(SyntaxError);
  });

  it("disconnect mid-stream: the iterating client gets an error after the first chunks", async () => {
    c.mock.enqueueFault({ disconnectAfterChunks: 3 });
    const stream = await c.openai.chat.completions.create({ ...hello, stream: true });
    const received: unknown[] = [];
    const error = await (async () => {
      for await (const chunk of stream) received.push(chunk);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(received).toHaveLength(3);
    expect(c.mock.requests[0]).toMatchObject({ status: 200, stream: true, clientAborted: false });
    expect(c.mock.requests[0]!.usage!.outputTokens).toBeGreaterThan(0);
  });

  it("disconnect faults skip non-streaming requests and hit the next stream (Anthropic helper)", async () => {
    c.mock.enqueueFault({ disconnectAfterChunks: 2 });
    await c.openai.chat.completions.create(hello);
    const helper = c.anthropic.messages.stream({
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(helper.finalMessage()).rejects.toThrow();
    expect(c.mock.requests.map((r) => r.fault)).toEqual([undefined, { disconnectAfterChunks: 2 }]);
  });

  it("latency faults delay but do not change the answer", async () => {
    c.mock.enqueueFault({ latencyMs: 30 });
    const completion = await c.openai.chat.completions.create(hello);
    expect(completion.usage!.prompt_tokens).toBe(9);
    expect(c.mock.requests[0]).toMatchObject({ status: 200, fault: { latencyMs: 30 } });
  });

  it("rejects a bad fault", () => {
    expect(() => c.mock.enqueueFault({ status: 500, times: 0 })).toThrow(RangeError);
  });
});

describe("requests, errors and robustness", () => {
  it("records lowercased headers and the request body; responses carry request ids", async () => {
    const openai = new OpenAI({
      baseURL: c.mock.openaiBaseURL,
      apiKey: "test",
      maxRetries: 0,
      defaultHeaders: { "X-Test": "1" },
    });
    const { response, request_id } = await openai.chat.completions.create(hello).withResponse();
    expect(response.headers.get("x-request-id")).toBe(request_id);
    const recorded = c.mock.requests[0]!;
    expect(recorded.headers["x-test"]).toBe("1");
    expect(recorded.headers["authorization"]).toBe("Bearer test");
    expect(recorded.body).toEqual(hello);

    const message = await c.anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(message._request_id).toMatch(/^req_011C/);
  });

  it("answers unknown paths with 404 in each provider's shape", async () => {
    const post = (path: string, headers: Record<string, string>) =>
      fetch(c.mock.url + path, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: "{}",
      });
    const openai404 = await post("/v1/nope", { authorization: "Bearer test" });
    expect(openai404.status).toBe(404);
    expect(await openai404.json()).toMatchObject({
      error: { message: "Invalid URL (POST /v1/nope)", type: "invalid_request_error" },
    });
    const anthropic404 = await post("/v1/messages/nope", {
      "x-api-key": "test",
      "anthropic-version": "2023-06-01",
    });
    expect(await anthropic404.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect(c.mock.requests.map((r) => [r.operation, r.provider, r.status])).toEqual([
      ["unknown", "openai", 404],
      ["unknown", "anthropic", 404],
    ]);
  });

  it("answers 401 without credentials and 400 for invalid JSON", async () => {
    const noKey = await fetch(`${c.mock.openaiBaseURL}/chat/completions`, {
      method: "POST",
      body: JSON.stringify(hello),
    });
    expect(noKey.status).toBe(401);
    const badJson = await fetch(`${c.mock.openaiBaseURL}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer test" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect(c.mock.requests[1]!.body).toBe("{not json");
  });

  it("lets options.usage override counts, in the response and the record alike", async () => {
    const mock = await startMockProvider({
      usage: (req) =>
        req.operation === "messages" ? { inputTokens: 1000, cacheReadTokens: 600, outputTokens: 42 } : {},
    });
    try {
      const anthropic = new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "test", maxRetries: 0 });
      const message = await anthropic.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
      });
      expect(message.usage).toMatchObject({
        input_tokens: 400,
        cache_read_input_tokens: 600,
        output_tokens: 42,
      });
      expect(mock.requests[0]!.usage).toEqual({
        inputTokens: 1000,
        outputTokens: 42,
        cacheReadTokens: 600,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
      });
    } finally {
      await mock.close();
    }
  });

  it("survives a client aborting mid-stream, records it, and keeps serving", async () => {
    const mock = await startMockProvider({ chunkDelayMs: 20 });
    try {
      const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0 });
      const stream = await openai.chat.completions.create({ ...hello, stream: true });
      let seen = 0;
      for await (const _chunk of stream) {
        if (++seen === 2) break; // breaking aborts the request
      }
      await expect.poll(() => mock.requests[0]!.clientAborted).toBe(true);
      const next = await openai.chat.completions.create(hello);
      expect(next.choices[0]!.message.content).toBeTruthy();
      expect(mock.requests[1]!.clientAborted).toBe(false);
    } finally {
      await mock.close();
    }
  });

  it("a chunkDelayMs fault paces the next stream only, and is refused for a negative delay", async () => {
    const mock = await startMockProvider();
    try {
      const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0 });
      const timed = async () => {
        const stream = await openai.chat.completions.create({ ...hello, stream: true });
        const gaps: number[] = [];
        let last = Date.now();
        for await (const _chunk of stream) {
          gaps.push(Date.now() - last);
          last = Date.now();
        }
        return gaps.slice(2); // after the head and the first event
      };
      mock.enqueueFault({ chunkDelayMs: 40 });
      expect(Math.min(...(await timed()))).toBeGreaterThanOrEqual(30);
      expect(Math.min(...(await timed()))).toBeLessThan(30);
      expect(mock.requests[0]!.fault).toEqual({ chunkDelayMs: 40 });
      expect(() => mock.enqueueFault({ chunkDelayMs: -1 })).toThrow(/chunkDelayMs/);
    } finally {
      await mock.close();
    }
  });

  it("close() ends in-flight streams", async () => {
    const mock = await startMockProvider({ chunkDelayMs: 50 });
    const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0 });
    const stream = await openai.chat.completions.create({ ...hello, stream: true });
    const draining = (async () => {
      for await (const _chunk of stream) {
        // drain
      }
    })().catch((e: unknown) => e);
    await mock.close();
    expect(await draining).toBeInstanceOf(Error);
  });
});
