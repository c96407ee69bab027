// Issue 22 item 3: `defaults` are the outermost layer of every scope with `globalInstrumentation: false` (the web
// server setup), so an app-wide `defaults.limitIds` cap holds there too (docs/concepts.md "Global vs per-request").
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { currentAnnotations, LimitExceededError, track, trackContext } from "../../src/index.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const ask = () =>
  h.openai().chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "One line, please." }],
    max_tokens: 20,
  });

describe("defaults with globalInstrumentation: false", () => {
  it("annotate every call made inside a scope, beneath the scope's own annotations", async () => {
    h.start({ defaults: { accountName: "acme", requestTags: ["app"] } });
    const handler = track({ useCaseName: "chat", requestTags: ["route"] }, () => ask());
    await trackContext({ userId: "u-1" }, () => handler());
    await trackContext({ accountName: "other" }, () => ask());
    const events = await h.eventsSettled(2);
    expect(events[0]!.annotations).toMatchObject({
      accountName: "acme",
      userId: "u-1",
      useCaseName: "chat",
      requestTags: ["app", "route"],
    });
    expect(events[1]!.annotations.accountName).toBe("other");
  });

  it("an app-wide $0 block cap named in defaults.limitIds blocks calls in every scope, empty ones too", async () => {
    h.start({
      defaults: { limitIds: ["app-cap"] },
      limits: [{ id: "app-cap", maxUsd: 0, window: "day", mode: "block" }],
    });
    await expect(trackContext({ userId: "u-1" }, () => ask())).rejects.toBeInstanceOf(LimitExceededError);
    await expect(trackContext({}, () => ask())).rejects.toBeInstanceOf(LimitExceededError);
    await expect(track({ useCaseName: "job" }, () => ask())()).rejects.toBeInstanceOf(LimitExceededError);
    const events = await h.eventsSettled(3);
    expect(events.map((e) => e.status)).toEqual(["blocked", "blocked", "blocked"]);
    expect(h.mock.requests.length).toBe(0);
  });

  it("outside any scope nothing is active (a route left unannotated shows up as unattributed)", async () => {
    h.start({ defaults: { accountName: "acme" } });
    expect(currentAnnotations()).toEqual({});
    expect(trackContext({}, () => currentAnnotations())).toEqual({ accountName: "acme" });
    await ask();
    const [event] = await h.eventsSettled(1);
    expect(event!.annotations).toEqual({});
  });
});
