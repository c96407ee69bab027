import { zodResponseFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { countTokens } from "../../src/testing.js";
import { useMock } from "./helpers.js";

const c = useMock();

describe("OpenAI chat completions", () => {
  it("answers a plain request with a full chat.completion and exact usage", async () => {
    const completion = await c.openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "x".repeat(400) }],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe("gpt-4o-2024-08-06");
    expect(completion.system_fingerprint).toMatch(/^fp_/);
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("stop");
    expect(choice.message).toMatchObject({ role: "assistant", refusal: null, annotations: [] });
    const content = choice.message.content!;
    expect(content.length).toBeGreaterThan(10);
    // 3 per prompt + (4 + 100) for the one message.
    expect(completion.usage).toEqual({
      prompt_tokens: 107,
      completion_tokens: countTokens(content),
      total_tokens: 107 + countTokens(content),
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
    const [recorded] = c.mock.requests;
    expect(recorded).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      provider: "openai",
      operation: "chat",
      stream: false,
      status: 200,
      usage: {
        inputTokens: 107,
        outputTokens: countTokens(content),
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
      },
    });
  });

  it("is deterministic and maps gpt-4o-mini to its dated snapshot; unknown models are echoed", async () => {
    const ask = (model: string) =>
      c.openai.chat.completions.create({ model, messages: [{ role: "user", content: "same prompt" }] });
    const a = await ask("gpt-4o-mini");
    const b = await ask("gpt-4o-mini");
    expect(a.model).toBe("gpt-4o-mini-2024-07-18");
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect((await ask("my-finetune")).model).toBe("my-finetune");
  });

  it("respects max_completion_tokens with finish_reason length", async () => {
    const completion = await c.openai.chat.completions.create({
      model: "gpt-4o",
      max_completion_tokens: 2,
      messages: [{ role: "user", content: "hello" }],
    });
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect(completion.choices[0]!.message.content).toHaveLength(8);
    expect(completion.usage!.completion_tokens).toBe(2);
  });

  it("counts reasoning tokens for reasoning models, inside completion tokens", async () => {
    const completion = await c.openai.chat.completions.create({
      model: "o3-mini",
      reasoning_effort: "low",
      messages: [{ role: "user", content: "think" }],
    });
    const visible = countTokens(completion.choices[0]!.message.content!);
    expect(completion.model).toBe("o3-mini-2025-01-31");
    expect(completion.usage!.completion_tokens_details!.reasoning_tokens).toBe(64);
    expect(completion.usage!.completion_tokens).toBe(64 + visible);
    expect(c.mock.requests[0]!.usage).toMatchObject({ reasoningTokens: 64, outputTokens: 64 + visible });

    const medium = await c.openai.chat.completions.create({
      model: "gpt-5",
      messages: [{ role: "user", content: "x" }],
    });
    expect(medium.usage!.completion_tokens_details!.reasoning_tokens).toBe(256);
  });

  it("streams chunks without usage unless include_usage is set", async () => {
    const stream = await c.openai.chat.completions.create({
      model: "gpt-4o",
      stream: true,
      messages: [{ role: "user", content: "stream please" }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((ch) => ch.object === "chat.completion.chunk" && !("usage" in ch))).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    const text = chunks.map((ch) => ch.choices[0]?.delta.content ?? "").join("");
    expect(c.mock.requests[0]).toMatchObject({
      stream: true,
      status: 200,
      usage: { outputTokens: countTokens(text) },
    });
  });

  it("with include_usage, every chunk has usage null and a final choices-less chunk carries the usage", async () => {
    const stream = await c.openai.chat.completions.create({
      model: "gpt-4o",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "x".repeat(40) }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(chunks.slice(0, -1).every((ch) => ch.usage === null && ch.choices.length === 1)).toBe(true);
    const text = chunks.map((ch) => ch.choices[0]?.delta.content ?? "").join("");
    expect(last.usage).toMatchObject({ prompt_tokens: 17, completion_tokens: countTokens(text) });
    expect(c.mock.requests[0]!.usage!.inputTokens).toBe(17);
  });

  it("supports the chat.completions.stream() helper and finalChatCompletion()", async () => {
    const runner = c.openai.chat.completions.stream({
      model: "gpt-4o",
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "helper" }],
    });
    let deltas = "";
    runner.on("content", (delta) => {
      deltas += delta;
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe(deltas);
    expect(final.usage!.completion_tokens).toBe(countTokens(deltas));
    expect(final.model).toBe("gpt-4o-2024-08-06");
  });

  it("supports chat.completions.parse() with a zod response format", async () => {
    const Answer = z.object({ city: z.string(), population: z.number(), tags: z.array(z.string()) });
    const completion = await c.openai.chat.completions.parse({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Largest city?" }],
      response_format: zodResponseFormat(Answer, "answer"),
    });
    const parsed = completion.choices[0]!.message.parsed;
    expect(parsed).not.toBeNull();
    expect(Answer.parse(parsed)).toEqual(parsed);
  });

  it("calls a strict tool, which parse() and the stream helper accept", async () => {
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "get_weather",
          strict: true,
          parameters: {
            type: "object",
            properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
            required: ["city", "unit"],
            additionalProperties: false,
          },
        },
      },
    ];
    const messages = [{ role: "user" as const, content: "Weather in Paris?" }];
    const parsed = await c.openai.chat.completions.parse({ model: "gpt-4o", messages, tools });
    const call = parsed.choices[0]!.message.tool_calls![0]!;
    expect(parsed.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.type === "function" && call.function.parsed_arguments).toEqual({ city: "mock", unit: "c" });

    const final = await c.openai.chat.completions
      .stream({ model: "gpt-4o", messages, tools })
      .finalChatCompletion();
    const streamed = final.choices[0]!.message.tool_calls![0]!;
    expect(streamed.type === "function" && JSON.parse(streamed.function.arguments)).toEqual({
      city: "mock",
      unit: "c",
    });

    // After a tool result, the model answers in text.
    const followUp = await c.openai.chat.completions.create({
      model: "gpt-4o",
      tools,
      messages: [
        ...messages,
        { role: "assistant", tool_calls: [{ id: call.id, type: "function", function: call.function }] },
        { role: "tool", tool_call_id: call.id, content: "18C" },
      ],
    });
    expect(followUp.choices[0]!.finish_reason).toBe("stop");
    expect(followUp.choices[0]!.message.content).toBeTruthy();
  });

  it("rejects a request without messages with a 400 in OpenAI's error shape", async () => {
    const error = await c.openai.chat.completions
      .create({ model: "gpt-4o", messages: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ status: 400, error: { type: "invalid_request_error", param: "messages" } });
    expect(c.mock.requests[0]).toMatchObject({ status: 400 });
    expect(c.mock.requests[0]!.usage).toBeUndefined();
  });
});
