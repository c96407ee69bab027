import { describe, expect, it } from "vitest";
import { money, Pricer } from "../../src/pricing/index.js";
import { spyLogger, usage } from "./helpers.js";

const { formatUsd, nanosToMicros, NanoSum, parseNanos, picosToNanos, sumNanos } = money;

describe("exact money", () => {
  it("a 10-token text-embedding-3-small call costs 200 nano-USD, never 0", () => {
    const p = new Pricer({ logger: spyLogger() });
    const r = p.price({
      provider: "openai",
      requestModel: "text-embedding-3-small",
      usage: usage({ inputTokens: 10 }),
      ts: "2026-11-01T00:00:00Z",
    });
    // $0.02 per MTok = 20 nano-USD per token.
    expect(r).toMatchObject({ costNanos: 200, costMicros: 1, costBreakdown: { input: 200 } });
    // A million of them: exactly $0.20, summed in nanos.
    expect(sumNanos(Array.from({ length: 1_000_000 }, () => r.costNanos))).toBe(200_000_000n);
  });

  it("derives micro-USD by rounding up, so no non-zero cost vanishes", () => {
    expect(nanosToMicros(0)).toBe(0);
    expect(nanosToMicros(1)).toBe(1);
    expect(nanosToMicros(1000)).toBe(1);
    expect(nanosToMicros(1001)).toBe(2);
    expect(nanosToMicros(null)).toBeNull();
  });

  it("rounds pico-USD up to whole nano-USD, exactly, for numbers and bigints", () => {
    expect(picosToNanos(0)).toBe(0);
    expect(picosToNanos(1)).toBe(1);
    expect(picosToNanos(1000)).toBe(1);
    expect(picosToNanos(1001)).toBe(2);
    // 2^53 − 1 pico: float division would round; the remainder check keeps it exact.
    expect(picosToNanos(Number.MAX_SAFE_INTEGER)).toBe(Math.floor(Number.MAX_SAFE_INTEGER / 1000) + 1);
    expect(picosToNanos(10n ** 20n + 1n)).toBe(10 ** 17 + 1);
  });

  it("keeps totals exact beyond 2^53 nano-USD and writes them as decimal strings in JSON", () => {
    const big = Number.MAX_SAFE_INTEGER;
    const total = new NanoSum().add(big).add(big).add("3").add(null);
    expect(total.value).toBe(2n * BigInt(big) + 3n);
    expect(JSON.stringify({ totalNanos: total })).toBe(`{"totalNanos":"${2n * BigInt(big) + 3n}"}`);
    expect(parseNanos("18014398509481985")).toBe(18014398509481985n);
    expect(() => parseNanos("1.5")).toThrow(/not a nano-USD integer/);
  });

  it("formats USD exactly", () => {
    expect(formatUsd(200)).toBe("$0.000000");
    expect(formatUsd(200, 9)).toBe("$0.000000200");
    expect(formatUsd(1_234_567_891, 6)).toBe("$1.234568");
    expect(formatUsd(10n ** 30n, 2)).toBe(`$${10n ** 21n}.00`);
    expect(formatUsd(-1_500_000_000, 0)).toBe("-$2");
  });
});
