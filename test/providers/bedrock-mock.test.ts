// The mock's Bedrock Runtime wire format, below what the AWS SDK shows: headers, framing, error shapes.
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MockProvider, startMockProvider } from "../../src/testing.js";

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
beforeEach(() => mock.reset());
afterAll(() => mock.close());

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${mock.bedrockEndpoint}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "AWS4-HMAC-SHA256 Credential=test",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

/** Splits an event-stream body into decoded messages (4-byte big-endian total length prefix each). */
function frames(bytes: Uint8Array) {
  const out: { headers: Record<string, string>; payload: any }[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
    const message = codec.decode(bytes.subarray(at, at + length));
    const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v.value)]));
    out.push({ headers, payload: JSON.parse(toUtf8(message.body)) });
    at += length;
  }
  return out;
}

const id = (modelId: string) => encodeURIComponent(modelId);

describe("mock Bedrock Runtime", () => {
  it("InvokeModel sends Bedrock's token-count headers; input there excludes cache reads and writes", async () => {
    const body = {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 50,
      system: [{ type: "text", text: "Rules. ".repeat(400), cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "hi" }],
    };
    const path = `/model/${id("anthropic.claude-3-5-haiku-20241022-v1:0")}/invoke`;
    await post(path, body);
    const res = await post(path, body);
    const json = await res.json();
    const usage = mock.requests[1]!.usage!;
    expect(usage.cacheReadTokens).toBeGreaterThan(0);
    expect(res.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(res.headers.get("x-amzn-bedrock-input-token-count"))).toBe(
      usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens,
    );
    expect(Number(res.headers.get("x-amzn-bedrock-cache-read-input-token-count"))).toBe(
      usage.cacheReadTokens,
    );
    expect(Number(res.headers.get("x-amzn-bedrock-output-token-count"))).toBe(usage.outputTokens);
    expect(json.usage.input_tokens).toBe(usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens);
    expect(json.model).toBe("claude-3-5-haiku-20241022");
  });

  it("InvokeModelWithResponseStream: `chunk` events with :event-type, :message-type, :content-type and base64 bytes", async () => {
    const res = await post(`/model/${id("meta.llama3-8b-instruct-v1:0")}/invoke-with-response-stream`, {
      prompt: "Explain accruals.",
      max_gen_len: 16,
    });
    expect(res.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    expect(res.headers.get("x-amzn-bedrock-content-type")).toBe("application/json");
    const messages = frames(new Uint8Array(await res.arrayBuffer()));
    expect(messages.length).toBeGreaterThan(2);
    for (const m of messages) {
      expect(m.headers).toEqual({
        ":event-type": "chunk",
        ":message-type": "event",
        ":content-type": "application/json",
      });
      expect(typeof m.payload.p).toBe("string");
    }
    const chunks = messages.map((m) => JSON.parse(Buffer.from(m.payload.bytes, "base64").toString("utf8")));
    const usage = mock.requests[0]!.usage!;
    expect(chunks[0].prompt_token_count).toBe(usage.inputTokens);
    expect(chunks.at(-1)["amazon-bedrock-invocationMetrics"]).toMatchObject({
      inputTokenCount: usage.inputTokens,
      outputTokenCount: usage.outputTokens,
    });
    expect(chunks.map((c) => c.generation).join("")).toBeTruthy();
  });

  it("ConverseStream: typed events, metadata last with inputTokens excluding cache", async () => {
    const res = await post(`/model/${id("us.amazon.nova-micro-v1:0")}/converse-stream`, {
      system: [{ text: "Style guide. ".repeat(300) }, { cachePoint: { type: "default" } }],
      messages: [{ role: "user", content: [{ text: "Hello" }] }],
    });
    const messages = frames(new Uint8Array(await res.arrayBuffer()));
    const types = messages.map((m) => m.headers[":event-type"]);
    expect(types[0]).toBe("messageStart");
    expect(types.slice(-3)).toEqual(["contentBlockStop", "messageStop", "metadata"]);
    const usage = mock.requests[0]!.usage!;
    expect(usage.cacheWriteTokens).toBeGreaterThan(0);
    expect(messages.at(-1)!.payload.usage).toEqual({
      inputTokens: usage.inputTokens - usage.cacheWriteTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.inputTokens + usage.outputTokens,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: usage.cacheWriteTokens,
    });
  });

  it("model ids: inference-profile ARNs route by their model family; unknown families are a ValidationException", async () => {
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.mistral.pixtral-large-2502-v1:0";
    const ok = await post(`/model/${id(arn)}/invoke`, { prompt: "hi", max_tokens: 8 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ outputs: [{ stop_reason: expect.any(String) }] });
    const unknown = await post(`/model/${id("cohere.command-r-v1:0")}/converse`, {
      messages: [{ role: "user", content: [{ text: "hi" }] }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get("x-amzn-errortype")).toMatch(/^ValidationException:/);
    expect(await unknown.json()).toEqual({ message: expect.stringContaining("cohere.command-r-v1:0") });
  });

  it("requests Bedrock would refuse: cache points on a model without caching, streaming an embeddings model", async () => {
    const llama = await post(`/model/${id("meta.llama3-8b-instruct-v1:0")}/converse`, {
      messages: [{ role: "user", content: [{ text: "hi" }, { cachePoint: { type: "default" } }] }],
    });
    expect(llama.status).toBe(400);
    const embed = await post(`/model/${id("amazon.titan-embed-text-v2:0")}/invoke-with-response-stream`, {
      inputText: "x",
    });
    expect(embed.status).toBe(400);
    const noVersion = await post(`/model/${id("anthropic.claude-3-haiku-20240307-v1:0")}/invoke`, {
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(noVersion.status).toBe(400);
    expect(mock.requests.every((r) => r.provider === "bedrock" && r.usage === undefined)).toBe(true);
  });

  it("faults: 429 in Bedrock's shape (x-amzn-errortype ThrottlingException); no credentials: AccessDeniedException", async () => {
    mock.enqueueFault({ provider: "bedrock", status: 429 });
    const throttled = await post(`/model/${id("amazon.nova-lite-v1:0")}/converse`, {
      messages: [{ role: "user", content: [{ text: "hi" }] }],
    });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("x-amzn-errortype")).toMatch(/^ThrottlingException:/);
    expect(await throttled.json()).toEqual({ message: expect.any(String) });
    const anonymous = await post(
      `/model/${id("amazon.nova-lite-v1:0")}/converse`,
      { messages: [{ role: "user", content: [{ text: "hi" }] }] },
      { authorization: "" },
    );
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("x-amzn-errortype")).toMatch(/^AccessDeniedException:/);
    expect(mock.requests.map((r) => [r.operation, r.stream])).toEqual([
      ["converse", false],
      ["converse", false],
    ]);
  });
});
