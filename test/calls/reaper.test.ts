// A call nobody finishes — a stream never read, never closed — must not hold its limit reservation for good:
// past `abandonedCallTimeoutMs` of silence it is recorded as aborted / Abandoned and the reservation ends: settled
// with its estimated cost when it was sent (the provider answered, so it may bill it: docs/pricing.md "Estimated
// costs"), released otherwise.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, instrument, trackContext } from "../../src/index.js";
import { getRuntime } from "../../src/runtime.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const messages = [{ role: "user" as const, content: "hello" }];
const cap = { id: "cap", maxUsd: 1, window: "day" as const, mode: "block" as const };

describe("the reaper", () => {
  it("finishes a stream left unread past the timeout and settles its reservation with the estimate", async () => {
    h.start({ limits: [cap], abandonedCallTimeoutMs: 1_000 });
    const gate = getRuntime()!.limits!;
    const ended: string[] = [];
    const reserve = gate.reserve.bind(gate);
    gate.reserve = (request) => {
      const hold = reserve(request) as ReturnType<typeof reserve> & object;
      if (!hold || "then" in hold) return hold;
      return {
        settle: (cost) => {
          ended.push("settle");
          return hold.settle(cost);
        },
        release: () => {
          ended.push("release");
          hold.release();
        },
      };
    };
    const stream = await trackContext({ limitIds: ["cap"] }, () =>
      h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true }),
    );
    expect(stream).toBeDefined(); // never iterated
    await new Promise((r) => setTimeout(r, 600));
    expect(h.events).toHaveLength(0);
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "aborted", errorType: "Abandoned", costSource: "estimated" });
    expect(event!.costNanos).toBeGreaterThan(0);
    expect(ended).toEqual(["settle"]);
  });

  it("leaves a stream that is being read alone", async () => {
    h.start({ abandonedCallTimeoutMs: 1_000 });
    const slow = await h.openai().chat.completions.create({ model: "gpt-4o", messages, stream: true });
    let chunks = 0;
    for await (const _ of slow) {
      chunks++;
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(chunks * 150).toBeGreaterThan(1_250);
    const [event] = await h.eventsSettled(1);
    expect(event).toMatchObject({ status: "ok" });
  });

  it("abandonedCallTimeoutMs is validated", () => {
    expect(() => instrument({ ledger: false, abandonedCallTimeoutMs: 10 })).toThrow(ConfigError);
    expect(() => instrument({ ledger: false, abandonedCallTimeoutMs: 1.5e3 + 0.5 })).toThrow(
      /abandonedCallTimeoutMs: must be a whole number/,
    );
  });
});
