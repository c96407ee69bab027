import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { fixtureLedger } from "../ledger/helpers.js";

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
const usage = { inputTokens: 1_000_000, outputTokens: 100_000 };
const docs = { useCaseName: "docs", useCaseId: "i" };

// Bundled prices: gpt-4o $2.50 / $10 per M tokens, claude-haiku-4-5 $1 / $5, gpt-4o-mini $0.15 / $0.60.
const { path } = fixtureLedger([
  makeEvent("a", {
    ts: hoursAgo(1),
    requestModel: "gpt-4o",
    usage,
    costMicros: 3_500_000,
    annotations: docs,
  }),
  makeEvent("b", {
    ts: hoursAgo(2),
    requestModel: "gpt-4o",
    usage,
    costMicros: 3_500_000,
    annotations: docs,
  }),
  makeEvent("c", {
    ts: hoursAgo(3),
    provider: "anthropic",
    operation: "messages",
    requestModel: "claude-haiku-4-5",
    usage,
    costMicros: 1_500_000,
    annotations: docs,
  }),
  makeEvent("d", {
    ts: hoursAgo(4),
    requestModel: "my-finetune",
    usage,
    costMicros: null,
    annotations: docs,
  }),
  makeEvent("old", {
    ts: hoursAgo(24 * 30),
    requestModel: "gpt-4o",
    usage,
    costMicros: 3_500_000,
    annotations: docs,
  }),
  makeEvent("other", { ts: hoursAgo(1), requestModel: "gpt-4o", usage, costMicros: 3_500_000 }),
]);

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli([...argv, "--db", path], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

describe("costtrail whatif", () => {
  it("re-prices the use case's last 7 days on another model, same tokens, in exact micro-USD", async () => {
    const r = await cli("whatif", "--model", "gpt-4o-mini", "--use-case", "docs", "--format", "json");
    expect(r.err).toBe("");
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({
      useCase: "docs",
      model: "gpt-4o-mini",
      pricedProvider: "openai",
      calls: 4,
      currentMicros: 8_500_000,
      whatifMicros: 630_000,
      savingMicros: 7_870_000,
      savingRatio: 7_870_000 / 8_500_000,
      unpriced: 1,
    });
    expect(result.byModel).toEqual([
      {
        requestModel: "gpt-4o",
        calls: 2,
        currentNanos: "7000000000",
        whatifNanos: "420000000",
        currentMicros: 7_000_000,
        whatifMicros: 420_000,
      },
      {
        requestModel: "claude-haiku-4-5",
        calls: 1,
        currentNanos: "1500000000",
        whatifNanos: "210000000",
        currentMicros: 1_500_000,
        whatifMicros: 210_000,
      },
    ]);
  });

  it("prints the saving; unknown models and missing flags are clear errors", async () => {
    const table = await cli("whatif", "--model", "gpt-4o-mini", "--use-case", "docs", "--since", "60d");
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/gpt-4o\s+3\s+10\.500000\s+0\.630000/);
    expect(table.out).toContain("saving: $11.160000 (93.0%); 1 calls left out (no known price)");
    const unknown = await cli("whatif", "--model", "no-such-model", "--use-case", "docs");
    expect(unknown.out).toBe('no known price for model "no-such-model"; try --provider <id>\n');
    const missing = await cli("whatif", "--model", "gpt-4o-mini");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--use-case <name>' not specified/);
  });
});
