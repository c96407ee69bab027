// toNanos rounds exact pico-USD to nano-USD in plain integers when every sum is a safe integer, else in BigInt:
// both must give the same total and the same lines (docs/pricing.md "Exact money").
import { describe, expect, it } from "vitest";
import { toNanos } from "../../src/pricing/plan.js";
import type { CostDimension } from "../../src/types.js";

const DIMS: CostDimension[] = ["input", "output", "cacheRead", "cacheWrite5m", "reasoning"];

/** A deterministic pseudo-random sequence (no flaky seeds). */
function* numbers(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    yield x;
  }
}

describe("toNanos", () => {
  it("gives the same nanos in plain integers as in BigInt, remainders and ties included", () => {
    const random = numbers(7);
    for (let n = 0; n < 2000; n++) {
      const lines = 1 + (random.next().value % DIMS.length);
      const asNumbers = new Map<CostDimension, number | bigint>();
      const asBigInts = new Map<CostDimension, number | bigint>();
      for (let i = 0; i < lines; i++) {
        const r = random.next().value;
        // Small values (remainders decide), round thousands (ties), and large ones.
        const p = n % 3 === 0 ? r % 5000 : n % 3 === 1 ? (r % 7) * 1000 + (r % 2) * 500 : r * 997;
        asNumbers.set(DIMS[i]!, p);
        asBigInts.set(DIMS[i]!, BigInt(p));
      }
      expect(toNanos(asNumbers)).toEqual(toNanos(asBigInts));
    }
  });

  it("rounds the total up once and apportions the lines by largest remainder", () => {
    const picos = new Map<CostDimension, number | bigint>([
      [DIMS[0]!, 1_400],
      [DIMS[1]!, 1_700],
      [DIMS[2]!, 200],
    ]);
    // 3.3 nanos → 4; floors 1 + 1 + 0; the two left go to the largest remainders (700, then 400).
    expect(toNanos(picos)).toEqual({ costNanos: 4, breakdown: { input: 2, output: 2 } });
  });

  it("falls back to BigInt past 2^53 pico-USD", () => {
    const big = new Map<CostDimension, number | bigint>([
      [DIMS[0]!, Number.MAX_SAFE_INTEGER - 10],
      [DIMS[1]!, 999],
    ]);
    const total = (BigInt(Number.MAX_SAFE_INTEGER - 10) + 999n + 999n) / 1000n;
    expect(toNanos(big).costNanos).toBe(Number(total));
  });
});
