import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHeaders, track } from "../../src/index.js";
import { createHarness, type Harness, stable } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const system = [
  {
    type: "text" as const,
    text: "You are a careful accountant. ".repeat(200),
    cache_control: { type: "ephemeral" as const },
  },
];
const messages = [{ role: "user" as const, content: "Summarise the quarter." }];

describe("Anthropic messages", () => {
  it("create: input tokens include cache reads and writes, counted once", async () => {
    h.start();
    const client = h.anthropic();
    const ask = track({ useCaseName: "quarterly" }, () =>
      client.messages.create(
        { model: "claude-sonnet-4-5", max_tokens: 200, system, messages },
        { headers: createHeaders({ accountName: "acme" }) },
      ),
    );
    const first = await ask();
    const second = await ask();
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(second.usage.cache_read_input_tokens).toBeGreaterThan(0);
    const events = await h.eventsSettled(2);
    expect(events.map((e) => e.usage)).toEqual(h.mock.requests.map((r) => r.usage));
    expect(events[0]?.usage.inputTokens).toBe(
      first.usage.input_tokens +
        (first.usage.cache_creation_input_tokens ?? 0) +
        (first.usage.cache_read_input_tokens ?? 0),
    );
    expect(events[1]?.usage.cacheReadTokens).toBe(second.usage.cache_read_input_tokens);
    expect(events[0]).toMatchObject({
      provider: "anthropic",
      operation: "messages",
      requestModel: "claude-sonnet-4-5",
      annotations: { useCaseName: "quarterly", accountName: "acme" },
    });
    expect(events[0]?.annotations.useCaseId).not.toBe(events[1]?.annotations.useCaseId);
    expect(Object.keys(h.mock.requests[0]!.headers).some((k) => k.startsWith("x-costtrail"))).toBe(false);
  });

  it("stream: true: same events for the user, usage from message_start + message_delta", async () => {
    const run = async () => {
      const stream = await h.anthropic().messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 100,
        messages,
        stream: true,
      });
      const seen: unknown[] = [];
      for await (const event of stream) seen.push(event);
      return seen;
    };
    const bare = await run();
    h.mock.reset();
    h.start();
    const instrumented = await run();
    expect(stable(instrumented)).toEqual(stable(bare));
    const events = await h.eventsSettled(1);
    expect(events[0]).toMatchObject({ stream: true, status: "ok", usage: h.mock.requests[0]?.usage });
  });

  it("messages.stream(): text events and finalMessage() work, one event", async () => {
    h.start();
    const stream = h
      .anthropic()
      .messages.stream({ model: "claude-sonnet-4-5", max_tokens: 100, system, messages });
    let text = "";
    stream.on("text", (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(final.content[0]?.type === "text" && final.content[0].text).toBe(text);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.usage).toEqual(h.mock.requests[0]?.usage);
    expect(events[0]?.usage.cacheWriteTokens).toBeGreaterThan(0);
  });

  it("break early: one aborted event, input from message_start is exact", async () => {
    h.start();
    h.mock.enqueueFault({ chunkDelayMs: 15 }); // a generation still under way when the loop stops
    const stream = await h
      .anthropic()
      .messages.create({ model: "claude-sonnet-4-5", max_tokens: 100, messages, stream: true });
    let n = 0;
    for await (const _ of stream) if (++n === 4) break;
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.status).toBe("aborted");
    expect(events[0]?.usage.inputTokens).toBe(h.mock.requests[0]?.usage?.inputTokens);
  });
});
