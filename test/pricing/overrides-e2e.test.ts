// Overrides through the public API (issue 17, item 6): real SDKs → the mock provider → the event. Patterns for
// fine-tunes and deployments, and a per-account discount, priced to the exact nano-USD ($1 per MTok is 1,000
// nano-USD per token). claude-haiku-4-5 lists at $1 / $5 per MTok.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { trackContext } from "../../src/index.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ usage: () => ({ inputTokens: 1_000, outputTokens: 100 }) });
});
afterEach(() => h.stop());
afterAll(() => h.mock.close());

const prices = [
  { model: "ft:gpt-4o-mini:*", inputPerMTok: 0.3, outputPerMTok: 1.2 },
  { model: "my-deployment-*", provider: "azure-openai", inputPerMTok: 2, outputPerMTok: 8 },
  { model: "*", provider: "anthropic", accountName: "acme", discountPct: 20 },
];
const messages = [{ role: "user" as const, content: "hi" }];

describe("overrides on real calls", () => {
  it("a fine-tune pattern and an Azure deployment pattern set the rates", async () => {
    h.start({ prices });
    await h
      .openai()
      .chat.completions.create({ model: "ft:gpt-4o-mini-2024-07-18:acme:support:abc123", messages });
    await h.openai().chat.completions.create({ model: "ft:gpt-4o-mini:acme::x1", messages });
    await h.azure("my-deployment-eu").chat.completions.create({ model: "gpt-4o", messages });
    const [dated, plain, azure] = await h.eventsSettled(3);
    // "ft:gpt-4o-mini-2024-07-18:…" does not match "ft:gpt-4o-mini:*": the table's fine-tune price, not ours.
    expect(dated!.priceSource).not.toContain("override:");
    expect(plain).toMatchObject({
      costSource: "override",
      costNanos: 1_000 * 300 + 100 * 1_200,
      priceSource: "override:ft:gpt-4o-mini:*",
    });
    expect(azure).toMatchObject({
      provider: "azure-openai",
      costSource: "override",
      costNanos: 1_000 * 2_000 + 100 * 8_000,
    });
  });

  it("a per-account discount applies to that account's calls only", async () => {
    h.start({ prices });
    await trackContext({ accountName: "acme" }, () =>
      h.anthropic().messages.create({ model: "claude-haiku-4-5", max_tokens: 50, messages }),
    );
    await trackContext({ accountName: "globex" }, () =>
      h.anthropic().messages.create({ model: "claude-haiku-4-5", max_tokens: 50, messages }),
    );
    const [acme, globex] = await h.eventsSettled(2);
    expect(acme).toMatchObject({ costSource: "override", costNanos: 1_000 * 800 + 100 * 4_000 });
    expect(acme!.priceSource).toMatch(/^override:\*\+genai-prices@/);
    expect(globex).toMatchObject({ costSource: "computed", costNanos: 1_000 * 1_000 + 100 * 5_000 });
  });
});
