import { describe, expect, it } from "vitest";
import { windowEnd, windowStart } from "../../src/limits/windows.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe("limit windows (UTC)", () => {
  it("day: midnight to midnight", () => {
    expect(iso(windowStart("day", at("2025-03-09T23:59:59.999Z")))).toBe("2025-03-09T00:00:00.000Z");
    expect(iso(windowEnd("day", at("2025-03-09T23:59:59.999Z")))).toBe("2025-03-10T00:00:00.000Z");
    expect(iso(windowStart("day", at("2025-03-10T00:00:00.000Z")))).toBe("2025-03-10T00:00:00.000Z");
  });

  it("week: Monday 00:00 to the next Monday, Sundays included in the week before", () => {
    // 2025-03-10 is a Monday.
    for (const day of ["2025-03-10T00:00:00Z", "2025-03-12T13:00:00Z", "2025-03-16T23:59:59Z"]) {
      expect(iso(windowStart("week", at(day)))).toBe("2025-03-10T00:00:00.000Z");
      expect(iso(windowEnd("week", at(day)))).toBe("2025-03-17T00:00:00.000Z");
    }
    expect(iso(windowStart("week", at("2025-03-09T12:00:00Z")))).toBe("2025-03-03T00:00:00.000Z");
    // Across a year boundary: 2024-12-30 is a Monday.
    expect(iso(windowStart("week", at("2025-01-01T08:00:00Z")))).toBe("2024-12-30T00:00:00.000Z");
  });

  it("month: the 1st to the next 1st, whatever the month's length", () => {
    expect(iso(windowStart("month", at("2024-02-29T22:00:00Z")))).toBe("2024-02-01T00:00:00.000Z");
    expect(iso(windowEnd("month", at("2024-02-29T22:00:00Z")))).toBe("2024-03-01T00:00:00.000Z");
    expect(iso(windowStart("month", at("2025-12-31T23:59:59Z")))).toBe("2025-12-01T00:00:00.000Z");
    expect(iso(windowEnd("month", at("2025-12-31T23:59:59Z")))).toBe("2026-01-01T00:00:00.000Z");
  });

  it("total: from the epoch, never resets", () => {
    expect(windowStart("total", at("2025-06-01T00:00:00Z"))).toBe(0);
    expect(windowEnd("total", at("2025-06-01T00:00:00Z"))).toBeNull();
  });

  it("is independent of the machine's time zone (all arithmetic is UTC)", () => {
    const now = at("2025-03-30T01:30:00Z"); // a DST switch day in Europe
    expect(iso(windowStart("day", now))).toBe("2025-03-30T00:00:00.000Z");
    expect(windowEnd("day", now)! - windowStart("day", now)).toBe(86_400_000);
  });
});
