// The event's `ts` is formatted by isoAt (calls/finish.ts), which writes only the milliseconds within a second:
// it must give exactly `Date#toISOString()` for every start time, in any order.
import { describe, expect, it } from "vitest";
import { isoAt } from "../../src/calls/finish.js";

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("isoAt", () => {
  it("is Date#toISOString() for runs of calls within and across seconds, back in time and at the edges", () => {
    const next = random(19);
    const starts: number[] = [];
    let ms = Date.UTC(2026, 11, 3, 11, 59, 58, 990);
    for (let i = 0; i < 20_000; i++) {
      const r = next();
      ms +=
        r < 0.6 ? Math.floor(next() * 3) : r < 0.9 ? Math.floor(next() * 400) : -Math.floor(next() * 5000);
      starts.push(ms);
    }
    starts.push(0, -1, -999, -1000, -1001, 999, 1000, 253402300799999, 253402300800000, 253402300800001);
    starts.push(-62167219200000, -62167219200001, 8.64e15, -8.64e15, 1.5, 1.5, 2000, 2000.5, 2001);
    for (const start of starts) {
      const at = new Date(start);
      expect(isoAt(start, at), String(start)).toBe(at.toISOString());
    }
  });

  it("makes its own Date when none is given (a call's start is kept as epoch ms)", () => {
    const next = random(23);
    let ms = Date.UTC(2026, 11, 3, 17, 59, 59, 900);
    for (let i = 0; i < 5_000; i++) {
      ms += next() < 0.8 ? Math.floor(next() * 50) : -Math.floor(next() * 3000);
      expect(isoAt(ms), String(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
