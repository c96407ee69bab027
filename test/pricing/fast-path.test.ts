import { calcPrice, waitForUpdate } from "@pydantic/genai-prices";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PriceTable, type TableEntry } from "../../src/pricing/table.js";
import type { PricedUsage } from "../../src/pricing/usage.js";

/** Every (provider, model) in the bundled data that genai-prices resolves by the model's own id. */
async function bundledEntries(): Promise<{ providerId: string; name: string; entry: TableEntry }[]> {
  const providers = (await waitForUpdate()) ?? [];
  const table = new PriceTable();
  const out: { providerId: string; name: string; entry: TableEntry }[] = [];
  for (const provider of providers) {
    for (const model of provider.models) {
      if (calcPrice({}, model.id, { providerId: provider.id })?.model !== model) continue;
      const entry = table.lookup(provider.id, model.id);
      if (entry) out.push({ providerId: provider.id, name: model.id, entry });
    }
  }
  return out;
}

function reference(providerId: string, name: string, u: PricedUsage, ts: Date): number | undefined {
  return calcPrice(
    {
      input_tokens: u.input,
      output_tokens: u.output,
      cache_read_tokens: u.cacheRead,
      cache_write_tokens: u.cacheWrite,
      ...(u.reasoning > 0 ? { output_reasoning_tokens: u.reasoning } : {}),
    },
    name,
    { providerId, timestamp: ts },
  )?.total_price;
}

const usageArb = fc
  .record({
    uncached: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 1_500_000 })),
    cacheRead: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400_000 })),
    cacheWrite: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100_000 })),
    visibleOutput: fc.integer({ min: 0, max: 200_000 }),
    reasoning: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50_000 })),
  })
  .map(
    (r): PricedUsage => ({
      input: r.uncached + r.cacheRead + r.cacheWrite,
      output: r.visibleOutput + r.reasoning,
      cacheRead: r.cacheRead,
      cacheWrite: r.cacheWrite,
      reasoning: r.reasoning,
    }),
  );
const tsArb = fc.date({
  min: new Date("2023-01-01T00:00:00Z"),
  max: new Date("2028-12-31T00:00:00Z"),
  noInvalidDate: true,
});

describe("table pricing is bit-identical to calcPrice across the bundled data", async () => {
  const entries = await bundledEntries();

  it("covers the data, with the common models on the fast path", () => {
    expect(entries.length).toBeGreaterThan(500);
    const fast = (providerId: string, name: string) =>
      entries.find((e) => e.providerId === providerId && e.name === name)?.entry.plan;
    for (const [p, m] of [
      ["openai", "gpt-4o"],
      ["openai", "gpt-4o-mini"],
      ["openai", "o3"],
      ["anthropic", "claude-sonnet-4-5"],
      ["anthropic", "claude-3-5-haiku-latest"],
      ["aws", "regional.anthropic.claude-3-5-sonnet-20240620-v1:0"],
      ["google", "gemini-2.5-pro"],
    ] as const) {
      expect(fast(p, m), `${p}/${m}`).toBeTruthy();
    }
    // Models with units we do not replay (audio, per-request fees, …) stay on calcPrice.
    expect(fast("openai", "gpt-4o-realtime-preview")).toBeNull();
  });

  it("for fixed usages on every model", () => {
    const table = new PriceTable();
    const fixed: PricedUsage[] = [
      { input: 1_000_000, output: 1_000_000, cacheRead: 300_000, cacheWrite: 200_000, reasoning: 100_000 },
      { input: 90, output: 90, cacheRead: 10, cacheWrite: 10, reasoning: 0 },
      { input: 272_000, output: 1, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
    ];
    const ts = new Date("2025-09-01T00:00:00Z");
    for (const { providerId, name, entry } of entries) {
      for (const u of fixed) {
        expect(table.usd(entry, u, ts), `${providerId}/${name}`).toBe(
          reference(providerId, name, u, ts) ?? null,
        );
      }
    }
  });

  it("for random usages, models and timestamps", () => {
    const table = new PriceTable();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: entries.length - 1 }), usageArb, tsArb, (i, u, ts) => {
        const { providerId, name, entry } = entries[i]!;
        // Object.is: bit-identical floats, so rounding to micro-dollars can never differ.
        return Object.is(table.usd(entry, u, ts), reference(providerId, name, u, ts) ?? null);
      }),
      { numRuns: 3000 },
    );
  });

  it("on the fast-path models specifically, including tier and date boundaries", () => {
    const table = new PriceTable();
    const fastEntries = entries.filter((e) => e.entry.plan);
    const boundaryUsage = fc
      .constantFrom(128_000, 200_000, 271_999, 272_000)
      .chain((start) => fc.integer({ min: start - 2, max: start + 2 }))
      .map(
        (input): PricedUsage => ({
          input,
          output: 1234,
          cacheRead: Math.floor(input / 3),
          cacheWrite: 17,
          reasoning: 0,
        }),
      );
    const boundaryTs = fc
      .constantFrom("2025-06-10", "2026-03-13", "2026-07-30", "2027-01-01")
      .chain((day) => fc.integer({ min: -1, max: 1 }).map((ms) => new Date(new Date(day).getTime() + ms)));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: fastEntries.length - 1 }),
        fc.oneof(usageArb, boundaryUsage),
        fc.oneof(tsArb, boundaryTs),
        (i, u, ts) => {
          const { providerId, name, entry } = fastEntries[i]!;
          return Object.is(table.usd(entry, u, ts), reference(providerId, name, u, ts) ?? null);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
