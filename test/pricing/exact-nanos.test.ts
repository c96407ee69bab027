// exactNanos is the per-call path of the exact plan: toNanos(exactPicos(plan, usage)) without the Map. It must
// give the same answer on every model of the bundled data: total, lines, their key order, null and fallbacks.
import { type ModelPrice, waitForUpdate } from "@pydantic/genai-prices";
import { describe, expect, it } from "vitest";
import { compileExact, exactNanos, exactPicos, toNanos } from "../../src/pricing/plan.js";
import { pricedUsage } from "../../src/pricing/usage.js";

/** A deterministic pseudo-random sequence (no flaky seeds). */
function* numbers(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    yield x;
  }
}

async function allPrices(): Promise<ModelPrice[]> {
  const out: ModelPrice[] = [];
  for (const provider of (await waitForUpdate()) ?? []) {
    for (const model of provider.models) {
      const prices = model.prices;
      if (Array.isArray(prices)) for (const v of prices) out.push(v.prices);
      else out.push(prices);
    }
  }
  return out;
}

function general(plan: NonNullable<ReturnType<typeof compileExact>>, u: ReturnType<typeof pricedUsage>) {
  const picos = exactPicos(plan, u);
  return picos ? toNanos(picos) : null;
}

describe("exactNanos", () => {
  it("answers as toNanos(exactPicos(…)) on every model of the data, key order included", async () => {
    const random = numbers(11);
    const pick = (mod: number) => random.next().value % mod;
    let compared = 0;
    let prices = await allPrices();
    // Hand-made plans: two lines of one dimension (cache writes), tiers, per-request fees, large rates.
    prices = prices.concat([
      { input_mtok: 1.25, cache_write_mtok: 3.75, cache_read_mtok: 0.125, output_mtok: 10 },
      {
        input_mtok: { base: 1, tiers: [{ start: 200_000, price: 2 }] },
        output_mtok: 5,
        requests_kcount: 0.3,
      },
      { input_mtok: 123_456.789, output_mtok: 987_654.321 },
    ] as ModelPrice[]);
    for (const p of prices) {
      const plan = compileExact(p);
      if (!plan) continue;
      for (let n = 0; n < 40; n++) {
        const scale = [10, 1000, 300_000, 2_000_000, 1e12][n % 5]!;
        const input = pick(scale);
        const u = pricedUsage({
          input,
          output: pick(scale),
          cacheRead: n % 3 === 0 ? pick(input + 1) : 0,
          cacheWrite: n % 4 === 0 ? pick(input + 1) : 0,
          cacheWrite1h: n % 8 === 0 ? pick(10) : 0,
          reasoning: n % 2 === 0 ? pick(50) : 0,
          audioInput: n % 5 === 0 ? pick(20) : 0,
          imageInput: n % 6 === 0 ? pick(20) : 0,
          webSearch: n % 7 === 0 ? pick(3) : 0,
        });
        const expected = general(plan, u);
        const fast = exactNanos(plan, u);
        if (fast === undefined) {
          // Only beyond safe integers: then the general path answers, so the result is still the same.
          expect(expected).not.toBeNull();
          continue;
        }
        expect(fast).toEqual(expected);
        if (fast && expected) expect(Object.keys(fast.breakdown)).toEqual(Object.keys(expected.breakdown));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it("is null when a part exceeds its total, like exactPicos", () => {
    const plan = compileExact({ input_mtok: 1, cache_read_mtok: 0.1, output_mtok: 2 } as ModelPrice)!;
    const u = { ...pricedUsage({ input: 10, output: 1 }), cacheRead: 20 };
    expect(exactPicos(plan, u)).toBeNull();
    expect(exactNanos(plan, u)).toBeNull();
  });
});
