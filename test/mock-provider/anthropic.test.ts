import type Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { countTokens } from "../../src/testing.js";
import { useMock } from "./helpers.js";

const c = useMock();

describe("Anthropic messages", () => {
  it("answers with a message whose usage matches the rules", async () => {
    const message = await c.anthropic.messages.create({
      model: "claude-opus-4-5",
      max_tokens: 1024,
      system: "s".repeat(40),
      messages: [{ role: "user", content: "u".repeat(80) }],
    });
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-opus-4-5-20251101",
      stop_reason: "end_turn",
      stop_sequence: null,
    });
    expect(message.id).toMatch(/^msg_/);
    const block = message.content[0]!;
    if (block.type !== "text") throw new Error("expected a text block");
    // 3 + 10 system + (4 + 20) message.
    expect(message.usage).toEqual({
      input_tokens: 37,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens: countTokens(block.text),
      service_tier: "standard",
    });
    expect(c.mock.requests[0]).toMatchObject({
      path: "/v1/messages",
      provider: "anthropic",
      operation: "messages",
      status: 200,
      usage: {
        inputTokens: 37,
        outputTokens: countTokens(block.text),
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      },
    });
    expect(c.mock.requests[0]!.headers["anthropic-version"]).toBeTruthy();
  });

  it("echoes dated model ids and stops at max_tokens", async () => {
    const message = await c.anthropic.messages.create({
      model: "claude-3-5-haiku-20241022",
      max_tokens: 2,
      messages: [{ role: "user", content: "hello" }],
    });
    expect(message.model).toBe("claude-3-5-haiku-20241022");
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(2);
  });

  it("streams the real event sequence, with cumulative usage in message_delta", async () => {
    const stream = await c.anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 500,
      stream: true,
      messages: [{ role: "user", content: "x".repeat(40) }],
    });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(["message_start", "content_block_start"]);
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    const start = events[0]!;
    if (start.type !== "message_start") throw new Error("unreachable");
    expect(start.message.usage).toMatchObject({
      input_tokens: 17,
      output_tokens: 1,
      cache_read_input_tokens: 0,
    });
    const text = events
      .map((e) => (e.type === "content_block_delta" && e.delta.type === "text_delta" ? e.delta.text : ""))
      .join("");
    const delta = events.at(-2)!;
    if (delta.type !== "message_delta") throw new Error("unreachable");
    expect(delta.delta.stop_reason).toBe("end_turn");
    expect(delta.usage).toMatchObject({
      output_tokens: countTokens(text),
      input_tokens: 17,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect(c.mock.requests[0]).toMatchObject({ stream: true, usage: { outputTokens: countTokens(text) } });
  });

  it("supports messages.stream() and finalMessage()", async () => {
    const stream = c.anthropic.messages.stream({
      model: "claude-sonnet-4-6",
      max_tokens: 500,
      messages: [{ role: "user", content: "stream helper" }],
    });
    let text = "";
    stream.on("text", (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text });
    expect(final.usage.output_tokens).toBe(countTokens(text));
    expect(final.stop_reason).toBe("end_turn");
  });

  it("counts extended thinking as reasoning tokens inside output tokens", async () => {
    const final = await c.anthropic.messages
      .stream({
        model: "claude-sonnet-4-6",
        max_tokens: 2000,
        thinking: { type: "enabled", budget_tokens: 1024 },
        messages: [{ role: "user", content: "think first" }],
      })
      .finalMessage();
    const [thinking, text] = final.content;
    if (thinking?.type !== "thinking" || text?.type !== "text")
      throw new Error("expected thinking then text");
    expect(thinking.signature.length).toBeGreaterThan(10);
    const thinkingTokens = countTokens(thinking.thinking);
    expect(final.usage.output_tokens).toBe(thinkingTokens + countTokens(text.text));
    expect(c.mock.requests[0]!.usage).toMatchObject({ reasoningTokens: thinkingTokens });
  });

  it("calls a tool with schema-shaped input, streamed through input_json_delta", async () => {
    const final = await c.anthropic.messages
      .stream({
        model: "claude-sonnet-4-6",
        max_tokens: 500,
        tools: [
          {
            name: "lookup",
            input_schema: { type: "object", properties: { id: { type: "integer" }, q: { type: "string" } } },
          },
        ],
        messages: [{ role: "user", content: "look it up" }],
      })
      .finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content[0]).toMatchObject({ type: "tool_use", name: "lookup", input: { id: 0, q: "mock" } });
  });

  it("counts tokens without touching the cache", async () => {
    const count = await c.anthropic.messages.countTokens({
      model: "claude-sonnet-4-6",
      messages: [{ role: "user", content: "x".repeat(40) }],
    });
    expect(count).toEqual({ input_tokens: 17 });
    expect(c.mock.requests[0]).toMatchObject({ operation: "count_tokens", status: 200 });
  });

  it("requires max_tokens, answering in Anthropic's error shape", async () => {
    const response = await fetch(`${c.mock.anthropicBaseURL}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "test", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("request-id")).toMatch(/^req_/);
    expect(await response.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: "max_tokens: Field required" },
    });
  });
});
