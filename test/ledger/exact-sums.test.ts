// Reports sum the ledger's exact nano-USD (cost_nanos): a million tiny calls do not cost nothing, nor are they
// over-stated by rounding each up to the micro-USD; totals past 2^53 nano-USD stay exact (decimal strings).
import { describe, expect, it } from "vitest";
import { instanceCostDistribution } from "../../src/kpis/distribution.js";
import { spendOverTime } from "../../src/ledger/dashboard-queries.js";
import { report } from "../../src/ledger/queries.js";
import type { UsageEvent } from "../../src/types.js";
import { makeEvent } from "./fixtures/events.js";
import { fixtureLedger } from "./helpers.js";

const TS = "2025-06-01T12:00:00.000Z";
const NOW = Date.parse("2025-06-02T00:00:00.000Z");
// 1,000 embedding calls of 10 tokens (200 nano-USD each: text-embedding-3-small at $0.02/MTok), each 1 µ$
// when rounded up on its own; and two huge calls whose sum passes 2^53 nano-USD.
const tiny: UsageEvent[] = Array.from({ length: 1000 }, (_, i) =>
  makeEvent(`tiny-${i}`, {
    ts: TS,
    costNanos: 200,
    costMicros: 1,
    annotations: { useCaseName: "embed", useCaseId: "embed-1", userId: "u-tiny", requestTags: ["t"] },
  }),
);
const HUGE = 2 ** 53 - 1; // the largest exact per-event figure
const huge: UsageEvent[] = ["h1", "h2"].map((id) =>
  makeEvent(id, {
    ts: TS,
    costNanos: HUGE,
    costMicros: Math.ceil(HUGE / 1000),
    annotations: { useCaseName: "big", useCaseId: "big-1", userId: "u-huge", requestTags: ["t"] },
  }),
);
const { ledger } = fixtureLedger([...tiny, ...huge], "costtrail-exact-sums-");

describe("report sums exact nano-USD", () => {
  it("1,000 × 200 nano-USD is 200,000 nano-USD = 200 µ$ (not 0, not 1,000)", () => {
    const r = report(ledger(), { by: "user", now: NOW });
    const row = r.rows.find((x) => x.key === "u-tiny")!;
    expect(row.costNanos).toBe("200000");
    expect(row.costMicros).toBe(200);
    expect(row.costUsd).toBe(0.0002);
  });

  it("totals past 2^53 nano-USD are exact, in every grouping (labels included) and with a limit", () => {
    const total = (BigInt(HUGE) * 2n + 200_000n).toString();
    for (const by of ["user", "tag", "use-case", "day"] as const) {
      expect(report(ledger(), { by, now: NOW }).totals.costNanos).toBe(total);
      expect(report(ledger(), { by, now: NOW, limit: 1 }).totals.costNanos).toBe(total);
    }
    const byUser = report(ledger(), { by: "user", now: NOW });
    expect(byUser.rows.map((r) => r.key)).toEqual(["u-huge", "u-tiny"]);
    expect(byUser.rows[0]!.costNanos).toBe((BigInt(HUGE) * 2n).toString());
    const tag = report(ledger(), { by: "tag", now: NOW }).rows.find((r) => r.key === "t")!;
    expect(tag.costNanos).toBe(total);
  });

  it("the dashboard's spend series and the instance distribution sum nanos too", () => {
    const series = spendOverTime(ledger(), { now: NOW, since: "2025-06-01" });
    const embed = series.series.find((s) => s.useCase === "embed")!;
    expect(embed.totalNanos).toBe("200000");
    expect(embed.totalMicros).toBe(200);
    const dist = instanceCostDistribution(ledger(), { now: NOW });
    expect(dist.find((d) => d.useCase === "embed")).toMatchObject({ instances: 1, totalMicros: 200 });
  });
});
