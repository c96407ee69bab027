import { zodTextFormat } from "openai/helpers/zod";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { countTokens } from "../../src/testing.js";
import { useMock } from "./helpers.js";

const c = useMock();

describe("OpenAI responses", () => {
  it("answers with a completed response object and exact usage", async () => {
    const response = await c.openai.responses.create({
      model: "gpt-4.1",
      instructions: "i".repeat(40),
      input: "u".repeat(80),
    });
    expect(response).toMatchObject({ object: "response", status: "completed", model: "gpt-4.1-2025-04-14" });
    expect(response.id).toMatch(/^resp_/);
    const message = response.output[0]!;
    expect(message.type).toBe("message");
    if (message.type !== "message") throw new Error("unreachable");
    expect(message).toMatchObject({ role: "assistant", status: "completed" });
    expect(message.content[0]).toMatchObject({ type: "output_text", annotations: [] });
    // The SDK derives output_text from the output items.
    const text = response.output_text;
    expect(text.length).toBeGreaterThan(10);
    // 3 + (4 + 10) instructions + (4 + 20) input.
    expect(response.usage).toEqual({
      input_tokens: 41,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: countTokens(text),
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 41 + countTokens(text),
    });
    expect(c.mock.requests[0]).toMatchObject({
      provider: "openai",
      operation: "responses",
      usage: { inputTokens: 41 },
    });
  });

  it("emits the named SSE event sequence with increasing sequence numbers", async () => {
    const stream = await c.openai.responses.create({ model: "gpt-4o", input: "stream it", stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    expect(types.slice(-4)).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(types.filter((t) => t === "response.output_text.delta").length).toBeGreaterThan(1);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1)!;
    if (completed.type !== "response.completed") throw new Error("expected response.completed last");
    expect(completed.response.usage!.output_tokens).toBe(c.mock.requests[0]!.usage!.outputTokens);
    expect(events[0]!.type === "response.created" && events[0].response.usage).toBeNull();
  });

  it("supports responses.stream() and finalResponse()", async () => {
    const stream = c.openai.responses.stream({ model: "gpt-4o", input: [{ role: "user", content: "hi" }] });
    let deltas = "";
    stream.on("response.output_text.delta", (e) => {
      deltas += e.delta;
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(deltas);
    expect(final.usage!.output_tokens).toBe(countTokens(deltas));
  });

  it("parses a zod text format", async () => {
    const Shape = z.object({ title: z.string(), done: z.boolean() });
    const response = await c.openai.responses.parse({
      model: "gpt-4o",
      input: "give me a task",
      text: { format: zodTextFormat(Shape, "task") },
    });
    expect(response.output_parsed).toEqual({ title: "mock", done: false });
  });

  it("adds a reasoning item and reasoning tokens for reasoning models", async () => {
    const response = await c.openai.responses.create({
      model: "o4-mini",
      reasoning: { effort: "high" },
      input: "hard question",
    });
    expect(response.output.map((o) => o.type)).toEqual(["reasoning", "message"]);
    expect(response.usage!.output_tokens_details.reasoning_tokens).toBe(1024);
    expect(response.usage!.output_tokens).toBe(1024 + countTokens(response.output_text));
  });

  it("reports max_output_tokens truncation as an incomplete response", async () => {
    const response = await c.openai.responses.create({
      model: "gpt-4o",
      input: "long please",
      max_output_tokens: 3,
    });
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(response.usage!.output_tokens).toBe(3);
  });

  it("streams a function call that responses.stream() accumulates", async () => {
    const stream = c.openai.responses.stream({
      model: "gpt-4o",
      input: "what time is it",
      tools: [
        {
          type: "function",
          name: "now",
          strict: true,
          parameters: {
            type: "object",
            properties: { tz: { type: "string" } },
            required: ["tz"],
            additionalProperties: false,
          },
        },
      ],
    });
    const final = await stream.finalResponse();
    const call = final.output[0]!;
    expect(call).toMatchObject({ type: "function_call", name: "now", status: "completed" });
    expect(call.type === "function_call" && JSON.parse(call.arguments)).toEqual({ tz: "mock" });
  });
});
