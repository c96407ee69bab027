import type Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { textOfTokens, useMock } from "./helpers.js";

const c = useMock();

describe("OpenAI prompt caching", () => {
  // A 1500-token system message: 4 + 1496 tokens of text.
  const system = { role: "system" as const, content: textOfTokens(1496, "s") };

  it("caches a ≥1024-token prefix seen before, rounded down to 128", async () => {
    const ask = (question: string) =>
      c.openai.chat.completions.create({
        model: "gpt-4o",
        messages: [system, { role: "user", content: question }],
      });
    const first = await ask("first?");
    expect(first.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    const second = await ask("second?");
    // Prefix = the system message: 1500 tokens → 1408 (11 × 128).
    expect(second.usage!.prompt_tokens_details!.cached_tokens).toBe(1408);
    expect(second.usage!.prompt_tokens).toBe(3 + 1500 + 4 + 2);
    expect(c.mock.requests[1]!.usage).toMatchObject({ cacheReadTokens: 1408, cacheWriteTokens: 0 });
  });

  it("does not cache prefixes under 1024 tokens, nor across models", async () => {
    const short = { role: "system" as const, content: textOfTokens(1000) };
    for (let i = 0; i < 2; i++) {
      const r = await c.openai.chat.completions.create({
        model: "gpt-4o",
        messages: [short, { role: "user", content: "q" }],
      });
      expect(r.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    }
    await c.openai.chat.completions.create({
      model: "gpt-4o",
      messages: [system, { role: "user", content: "q" }],
    });
    const other = await c.openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [system, { role: "user", content: "q" }],
    });
    expect(other.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
  });

  it("caches the earlier turns of a growing conversation, and reset() forgets", async () => {
    const turn1 = [system, { role: "user" as const, content: "hi" }];
    await c.openai.chat.completions.create({ model: "gpt-4o", messages: turn1 });
    const turn2 = [
      ...turn1,
      { role: "assistant" as const, content: "hello" },
      { role: "user" as const, content: "more" },
    ];
    const r = await c.openai.chat.completions.create({ model: "gpt-4o", messages: turn2 });
    // Longest seen leading run: system + "hi" = 1500 + 5 = 1505 → 1408.
    expect(r.usage!.prompt_tokens_details!.cached_tokens).toBe(1408);
    c.mock.reset();
    const again = await c.openai.chat.completions.create({ model: "gpt-4o", messages: turn2 });
    expect(again.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
  });

  it("applies to the Responses API too", async () => {
    const input = [
      { role: "system" as const, content: textOfTokens(2044) },
      { role: "user" as const, content: "q1" },
    ];
    await c.openai.responses.create({ model: "gpt-4o", input });
    const r = await c.openai.responses.create({
      model: "gpt-4o",
      input: [input[0]!, { role: "user", content: "q2" }],
    });
    // 4 + 2044 = 2048 → 2048.
    expect(r.usage!.input_tokens_details.cached_tokens).toBe(2048);
  });
});

describe("Anthropic prompt caching", () => {
  const system: Anthropic.TextBlockParam[] = [
    { type: "text", text: textOfTokens(500, "s"), cache_control: { type: "ephemeral" } },
  ];
  const ask = (question: string, sys = system) =>
    c.anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      system: sys,
      messages: [{ role: "user", content: question }],
    });

  it("writes a marked prefix once, then reads it; input_tokens excludes both", async () => {
    const first = await ask("q".repeat(8));
    expect(first.usage).toMatchObject({
      input_tokens: 3 + 4 + 2,
      cache_creation_input_tokens: 500,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 0 },
    });
    expect(c.mock.requests[0]!.usage).toMatchObject({
      inputTokens: 509,
      cacheWriteTokens: 500,
      cacheReadTokens: 0,
    });
    const second = await ask("r".repeat(8));
    expect(second.usage).toMatchObject({
      input_tokens: 9,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 500,
    });
    expect(c.mock.requests[1]!.usage).toMatchObject({
      inputTokens: 509,
      cacheWriteTokens: 0,
      cacheReadTokens: 500,
    });
  });

  it("reads the longest written prefix and writes the rest up to the last breakpoint, with TTL buckets", async () => {
    await ask("first");
    const messages: Anthropic.MessageParam[] = [
      {
        role: "user",
        content: [
          { type: "text", text: textOfTokens(96, "m"), cache_control: { type: "ephemeral", ttl: "1h" } },
        ],
      },
    ];
    const r = await c.anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      system,
      messages,
    });
    // Read: the 500-token system. Written: the message block, 4 + 96 = 100, at the 1h breakpoint.
    expect(r.usage).toMatchObject({
      input_tokens: 3,
      cache_read_input_tokens: 500,
      cache_creation_input_tokens: 100,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100 },
    });
  });

  it("does nothing without cache_control, and streams the cache counts in message_start and message_delta", async () => {
    const plain = await ask("x", [{ type: "text", text: textOfTokens(500, "s") }]);
    expect(plain.usage).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      input_tokens: 3 + 500 + 5,
    });

    await ask("warm");
    const final = await c.anthropic.messages
      .stream({
        model: "claude-sonnet-4-6",
        max_tokens: 100,
        system,
        messages: [{ role: "user", content: "x" }],
      })
      .finalMessage();
    expect(final.usage).toMatchObject({
      cache_read_input_tokens: 500,
      cache_creation_input_tokens: 0,
      input_tokens: 8,
    });
  });

  it("rejects more than 4 breakpoints", async () => {
    const many = Array.from({ length: 5 }, (_, i) => ({
      type: "text" as const,
      text: `block ${i}`,
      cache_control: { type: "ephemeral" as const },
    }));
    await expect(ask("q", many)).rejects.toMatchObject({ status: 400 });
  });
});
