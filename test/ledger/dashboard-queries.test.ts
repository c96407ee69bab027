import { describe, expect, it } from "vitest";
import { instanceDetail, periodTotals, spendOverTime } from "../../src/ledger/dashboard-queries.js";
import { REPORT_KEYS, ReportOptionsError, report } from "../../src/ledger/queries.js";
import { DAY, NOW, ODD_INSTANCE, serverLedger } from "../server/fixture.js";

const { ledger } = serverLedger();

describe("periodTotals", () => {
  it("equals report().totals for every key and filter, and says when the first and last calls were", () => {
    const all = periodTotals(ledger(), { now: NOW });
    expect(all.totals).toEqual({
      key: null,
      requests: 7,
      errors: 1,
      blocked: 1,
      inputTokens: 3_660,
      outputTokens: 416,
      costNanos: "11250000000",
      estimatedNanos: "0",
      costMicros: 11_250_000,
      costUsd: 11.25,
      unpriced: 1,
    });
    // The fixture's one blocked call (carol's, 3 days ago, no use case) is among the requests, never an error.
    expect(all.blocked).toBe(1);
    expect(periodTotals(ledger(), { since: "7d", now: NOW }).blocked).toBe(1);
    expect(periodTotals(ledger(), { since: "24h", now: NOW }).blocked).toBe(0);
    expect(periodTotals(ledger(), { useCase: "search", now: NOW }).blocked).toBe(0);
    expect(all.firstEventAt).toBe(new Date(NOW - 9 * DAY).toISOString());
    expect(all.lastEventAt).toBe(new Date(NOW - 15 * 60_000).toISOString());
    const filters = [
      {},
      { since: "24h" },
      { since: "7d", until: "1h" },
      { useCase: "search" },
      { since: "2025-06-01", useCase: "support" },
      { since: "2030-01-01" },
    ];
    for (const filter of filters) {
      const totals = periodTotals(ledger(), { ...filter, now: NOW }).totals;
      for (const by of REPORT_KEYS) {
        expect(
          report(ledger(), { by, ...filter, now: NOW }).totals,
          `${by} ${JSON.stringify(filter)}`,
        ).toEqual(totals);
        // With a row limit too: the totals still cover every matching event.
        expect(report(ledger(), { by, ...filter, limit: 1, now: NOW }).totals).toEqual(totals);
      }
    }
    expect(periodTotals(ledger(), { since: "2030-01-01", now: NOW })).toMatchObject({
      totals: { requests: 0, costMicros: 0 },
      blocked: 0,
      firstEventAt: null,
      lastEventAt: null,
    });
  });

  it("rejects bad options with the parameter's name", () => {
    expect(() => periodTotals(ledger(), { since: "yesterday" })).toThrow(/since: invalid time "yesterday"/);
    expect(() => periodTotals(ledger(), { until: "2025-13-45" })).toThrow(ReportOptionsError);
    expect(() => periodTotals(ledger(), { by: "user" } as never)).toThrow(/by/);
  });
});

describe("report groupCount", () => {
  it("counts the groups before the limit", () => {
    expect(report(ledger(), { by: "user", now: NOW }).groupCount).toBe(3);
    const top = report(ledger(), { by: "user", limit: 1, now: NOW });
    expect(top.rows).toHaveLength(1);
    expect(top.groupCount).toBe(3);
    expect(report(ledger(), { by: "tag", limit: 1, now: NOW }).groupCount).toBe(3);
    expect(report(ledger(), { by: "user", since: "2030-01-01", limit: 5, now: NOW }).groupCount).toBe(0);
  });
});

describe("spendOverTime", () => {
  it("buckets spend per UTC day, one series per use case, most expensive first, empty days included", () => {
    const result = spendOverTime(ledger(), { now: NOW });
    expect(result.bucket).toBe("day");
    expect(result.buckets).toEqual(
      Array.from({ length: 10 }, (_, i) => `2025-06-${String(i + 1).padStart(2, "0")}T00:00:00.000Z`),
    );
    const series = Object.fromEntries(result.series.map((s) => [String(s.useCase), s.costMicros]));
    expect(result.series.map((s) => s.useCase)).toEqual(["support", "summarize", "search", null]);
    expect(series.support).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 9_000_000]);
    expect(series.summarize).toEqual([2_000_000, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(series.search).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 250_000, 0]);
    expect(result.series.find((s) => s.useCase === null)!.requests[6]).toBe(1);
    // The same numbers as `report --by day`.
    const days = report(ledger(), { by: "day", order: "key", now: NOW }).rows;
    for (const day of days) {
      const i = result.buckets.indexOf(`${day.key}T00:00:00.000Z`);
      expect(result.series.reduce((sum, s) => sum + s.costMicros[i]!, 0)).toBe(day.costMicros);
      expect(result.series.reduce((sum, s) => sum + s.requests[i]!, 0)).toBe(day.requests);
    }
  });

  it("runs hour buckets from since to now, and folds use cases beyond `series` into other", () => {
    const day = spendOverTime(ledger(), { bucket: "hour", since: "24h", now: NOW });
    expect(day.buckets).toHaveLength(25);
    expect(day.buckets[0]).toBe("2025-06-09T12:00:00.000Z");
    expect(day.buckets.at(-1)).toBe("2025-06-10T12:00:00.000Z");
    expect(day.series).toHaveLength(1);
    expect(day.series[0]!.costMicros[23]).toBe(9_000_000);
    expect(day.series[0]!.requests[23]).toBe(3);

    const folded = spendOverTime(ledger(), { series: 1, now: NOW });
    expect(folded.series.map((s) => [s.useCase, s.other ?? false, s.totalMicros])).toEqual([
      ["support", false, 9_000_000],
      [null, true, 2_250_000],
    ]);

    expect(
      spendOverTime(ledger(), { since: "2030-01-01", until: "2030-01-03", now: NOW }).buckets,
    ).toHaveLength(2);
    expect(spendOverTime(ledger(), { until: "2020-01-01", now: NOW })).toMatchObject({
      buckets: [],
      series: [],
    });
  });

  it("refuses more buckets than a chart can show, and bad options, with the parameter's name", () => {
    // A wide range around little data starts at the data …
    expect(spendOverTime(ledger(), { bucket: "hour", since: "2020-01-01", now: NOW }).buckets.length).toBe(
      9 * 24 + 1,
    );
    // … but a range that is wide by itself is refused.
    expect(() =>
      spendOverTime(ledger(), { bucket: "hour", since: "2025-06-01", until: "2026-06-01", now: NOW }),
    ).toThrow(/bucket: \d+ hour buckets is too many/);
    expect(() => spendOverTime(ledger(), { bucket: "week" as never })).toThrow(/bucket/);
    expect(() => spendOverTime(ledger(), { series: 0 })).toThrow(/series/);
    expect(() => spendOverTime(ledger(), { since: "soon" })).toThrow(/since/);
  });
});

describe("instanceDetail", () => {
  it("returns an instance's calls oldest first, its steps in order and its models by cost", () => {
    const detail = instanceDetail(ledger(), "s-1")!;
    expect(detail).toMatchObject({
      id: "s-1",
      useCaseName: "support",
      users: ["alice"],
      accounts: ["acme"],
      firstEventAt: new Date(NOW - 3_600_000).toISOString(),
      lastEventAt: new Date(NOW - 900_000).toISOString(),
      truncated: false,
    });
    expect(detail.totals).toMatchObject({ requests: 3, errors: 1, costMicros: 9_000_000 });
    // The same measures as the instance's row of `report --by instance`.
    const {
      key: _key,
      useCaseName: _name,
      ...row
    } = report(ledger(), { by: "instance", now: NOW }).rows.find((r) => r.key === "s-1")!;
    expect(detail.totals).toEqual({ key: null, ...row });
    expect(detail.steps.map((s) => [s.key, s.requests, s.costMicros])).toEqual([
      ["retrieve", 1, 5_000_000],
      ["draft", 2, 4_000_000],
    ]);
    expect(detail.models.map((m) => [m.key, m.costMicros])).toEqual([
      ["gpt-4o", 5_000_000],
      ["claude-sonnet-4-5", 3_000_000],
      ["gpt-4o-mini", 1_000_000],
    ]);
    expect(detail.calls.map((c) => c.id)).toEqual(["a1", "a2", "a3"]);
    expect(detail.calls[2]!.annotations.useCaseStep).toBe("draft");

    const first = instanceDetail(ledger(), "s-1", { limit: 2 })!;
    expect(first.calls.map((c) => c.id)).toEqual(["a1", "a2"]);
    expect(first.truncated).toBe(true);
    expect(first.totals.requests).toBe(3);
  });

  it("finds ids with any characters, answers null for an unknown one, and validates", () => {
    expect(instanceDetail(ledger(), ODD_INSTANCE)?.calls.map((c) => c.id)).toEqual(["b1", "b2"]);
    expect(instanceDetail(ledger(), "nope")).toBeNull();
    expect(() => instanceDetail(ledger(), "")).toThrow(ReportOptionsError);
    expect(() => instanceDetail(ledger(), "s-1", { limit: 0 })).toThrow(/limit/);
  });
});
