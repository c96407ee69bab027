// Each case runs the same code with a bare client and an instrumented one and compares what the user sees.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/index.js";
import { createHarness, type Harness, stable } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const messages = [{ role: "user" as const, content: "Tell me a long story about ledgers and budgets." }];

async function outcome(fn: () => Promise<unknown>) {
  try {
    return { ok: stable(await fn()) };
  } catch (error) {
    const e = error as Error & { status?: number };
    return { error: { type: e.constructor.name, message: e.message, status: e.status } };
  }
}

/** The next streaming response is paced, as a generation still under way. */
const underWay = () => h.mock.enqueueFault({ chunkDelayMs: 15 });

/** Runs `fn` bare, then instrumented (after reapplying the same faults), returning both outcomes. */
async function sideBySide(fn: () => Promise<unknown>, arrange: () => void = () => {}) {
  arrange();
  const bare = await outcome(fn);
  h.mock.reset();
  h.start();
  arrange();
  const instrumented = await outcome(fn);
  return { bare, instrumented };
}

describe("streams ended early", () => {
  it("break after two chunks: same chunks seen, one aborted event with estimated usage", async () => {
    const run = async () => {
      const stream = await h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true });
      const seen: unknown[] = [];
      for await (const chunk of stream) {
        seen.push(chunk);
        if (seen.length === 2) break;
      }
      return seen;
    };
    // Paced as a generation still under way: the break cuts it short (see the next test for one fully arrived).
    const { bare, instrumented } = await sideBySide(run, underWay);
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "aborted", stream: true });
    expect(events[0]?.usage.inputTokens).toBeGreaterThan(0);
    expect(events[0]?.usage.outputTokens).toBeGreaterThanOrEqual(1);
  });

  it("controller.abort() mid-stream: same behaviour, one aborted event", async () => {
    const run = async () => {
      const stream = await h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true });
      const seen: unknown[] = [];
      for await (const chunk of stream) {
        seen.push(chunk);
        if (seen.length === 3) stream.controller.abort();
      }
      return seen.length;
    };
    const { bare, instrumented } = await sideBySide(run, underWay);
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events.map((e) => e.status)).toEqual(["aborted"]);
  });

  it("a stream that had fully arrived when the reader stopped: same chunks seen, ok with the provider's usage", async () => {
    const run = async () => {
      const stream = await h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true });
      // Let the whole response arrive before reading (a provider that finished before the reader got to it).
      for (let i = 0; i < 100 && !h.mock.requests.at(-1)?.usage; i++)
        await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 50));
      const seen: unknown[] = [];
      for await (const chunk of stream) {
        seen.push(chunk);
        if (seen.length === 3) stream.controller.abort();
      }
      return seen;
    };
    const { bare, instrumented } = await sideBySide(run);
    expect(instrumented).toEqual(bare);
    const [event] = await h.eventsSettled(1);
    // The provider generated (and bills) all of it, and said so in its last chunk.
    expect(event).toMatchObject({ status: "ok", stream: true });
    expect(event?.usage.outputTokens).toBe(h.mock.requests.at(-1)!.usage!.outputTokens);
  });

  it("a mid-stream disconnect: same error for the user, one error event", async () => {
    const run = async () => {
      const stream = await h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true });
      let n = 0;
      for await (const _ of stream) n++;
      return n;
    };
    const { bare, instrumented } = await sideBySide(run, () =>
      h.mock.enqueueFault({ disconnectAfterChunks: 2 }),
    );
    expect(bare.error).toBeDefined();
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.status).toBe("error");
  });

  it("tee(): both branches get every chunk, one event", async () => {
    h.start();
    const stream = await h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true });
    const [left, right] = stream.tee();
    const drain = async (s: AsyncIterable<unknown>) => {
      const out: unknown[] = [];
      for await (const c of s) out.push(c);
      return out;
    };
    const [a, b] = await Promise.all([drain(left), drain(right)]);
    expect(a.length).toBeGreaterThan(2);
    expect(b).toEqual(a);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.usage).toEqual(h.mock.requests[0]?.usage);
  });

  it("toReadableStream(): one event with the usage", async () => {
    h.start();
    const stream = await h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true });
    const reader = stream.toReadableStream().getReader();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain("chat.completion.chunk");
    expect(text).not.toContain("usage");
    const events = await h.eventsSettled(1);
    expect(events[0]?.usage).toEqual(h.mock.requests[0]?.usage);
  });

  it("iterating a consumed stream twice throws the SDK's error, still one event", async () => {
    h.start();
    const stream = await h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true });
    for await (const _ of stream) {
      // first pass
    }
    await expect(async () => {
      for await (const _ of stream) {
        // second pass
      }
    }).rejects.toThrow(/consumed/);
    expect(await h.eventsSettled(1)).toHaveLength(1);
  });
});

describe("failed requests", () => {
  it("429 with retry-after then success: one ok event with attempts 2", async () => {
    const run = () => h.openai({ maxRetries: 2 }).chat.completions.create({ model: "gpt-4o", messages });
    const { bare, instrumented } = await sideBySide(run, () =>
      h.mock.enqueueFault({ status: 429, retryAfterSeconds: 0 }),
    );
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "ok", attempts: 2, httpStatus: 200 });
    expect(events[0]?.usage).toEqual(h.mock.requests.at(-1)?.usage);
  });

  it("500: same error for the user, one error event with the status", async () => {
    const run = () => h.openai().chat.completions.create({ model: "gpt-4o", messages });
    const { bare, instrumented } = await sideBySide(run, () => h.mock.enqueueFault({ status: 500 }));
    expect(bare.error?.status).toBe(500);
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events[0]).toMatchObject({
      status: "error",
      httpStatus: 500,
      errorType: "InternalServerError",
      attempts: 1,
    });
  });

  it("a malformed JSON body: same error, one error event", async () => {
    const run = () => h.openai().chat.completions.create({ model: "gpt-4o", messages });
    const { bare, instrumented } = await sideBySide(run, () => h.mock.enqueueFault({ malformed: true }));
    expect(bare.error).toBeDefined();
    expect(instrumented).toEqual(bare);
    const events = await h.eventsSettled(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.status).toBe("error");
  });
});

describe("lifecycle", () => {
  it("a client built before instrument() is tracked; after shutdown() nothing is", async () => {
    const early = h.openai();
    const handle = h.start();
    await early.chat.completions.create({ model: "gpt-4o", messages });
    expect(await h.eventsSettled(1)).toHaveLength(1);
    await handle.shutdown();
    const seen: unknown[] = [];
    const again = instrument({ ledger: false, onEvent: (e) => seen.push(e) });
    await again.shutdown();
    await early.chat.completions.create({ model: "gpt-4o", messages });
    await h.openai().chat.completions.create({ model: "gpt-4o", messages });
    expect(seen).toHaveLength(0);
  });

  it("instrument() twice never double-patches: one event per call", async () => {
    h.start();
    h.start();
    await h.openai().chat.completions.create({ model: "gpt-4o", messages });
    expect(await h.eventsSettled(1)).toHaveLength(1);
  });

  it("a throwing onEvent or sink never reaches the user's call", async () => {
    h.start({
      onEvent: () => {
        throw new Error("callback bug");
      },
      sinks: [
        {
          name: "broken",
          write: () => {
            throw new Error("sink bug");
          },
        },
      ],
      logger: { warn: () => {}, error: () => {} },
    });
    const result = await h.openai().chat.completions.create({ model: "gpt-4o", messages });
    expect(result.choices).toHaveLength(1);
  });
});
