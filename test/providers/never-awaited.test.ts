// Issue 22 item 5: a call the user never awaits (fire-and-forget) finishes when its response arrives, priced
// with the usage the provider reported, and nothing of it is kept afterwards (shutdown finds nothing in flight).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const body = {
  model: "gpt-4o-mini",
  messages: [{ role: "user" as const, content: "Log this somewhere, I will not wait." }],
  max_tokens: 20,
};

/** Waits until `n` events arrived; the calls are never awaited, so nothing else says when they are done. */
async function eventsArrived(n: number) {
  for (let i = 0; i < 400 && h.events.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  return h.events;
}

describe("calls never awaited", () => {
  it("OpenAI: each one is recorded ok with its usage and cost when its response arrives", async () => {
    const handle = h.start();
    const client = h.openai();
    for (let i = 0; i < 20; i++) void client.chat.completions.create(body);
    const events = await eventsArrived(20);
    expect(events).toHaveLength(20);
    for (const [i, event] of events.entries()) {
      expect(event.status).toBe("ok");
      expect(event.usage).toEqual(expect.objectContaining(h.mock.requests[i]!.usage));
      expect(event.costMicros).toBeGreaterThan(0);
    }
    // Nothing was left in flight: shutting down records no abandoned call.
    await handle.shutdown();
    expect(h.events).toHaveLength(20);
    expect(h.events.filter((e) => e.errorType === "Abandoned")).toEqual([]);
  });

  it("Anthropic and streams too", async () => {
    h.start();
    void h.anthropic().messages.create({ ...body, model: "claude-haiku-4-5" });
    void h.openai().chat.completions.create({ ...body, stream: true });
    void h.anthropic().messages.create({ ...body, model: "claude-haiku-4-5", stream: true });
    const events = await eventsArrived(3);
    expect(events.map((e) => [e.provider, e.stream, e.status])).toEqual(
      expect.arrayContaining([
        ["anthropic", false, "ok"],
        ["openai", true, "ok"],
        ["anthropic", true, "ok"],
      ]),
    );
    for (const event of events) expect(event.costMicros).toBeGreaterThan(0);
  });

  it("a call awaited only after its response arrived still gives the user the SDK's result, recorded once", async () => {
    h.start();
    const client = h.openai();
    const pending = client.chat.completions.create(body);
    const [event] = await eventsArrived(1);
    const completion = await pending;
    expect(completion.choices[0]!.message.content).toBeTruthy();
    expect(completion.usage?.prompt_tokens).toBe(event!.usage.inputTokens);
    const late = client.chat.completions.create(body);
    await eventsArrived(2);
    const raw = await late.asResponse();
    expect((await raw.json()).usage.completion_tokens).toBe(h.events[1]!.usage.outputTokens);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.events).toHaveLength(2);
  });
});
