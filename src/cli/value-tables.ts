// Terminal tables for `report --by instance` (cost per instance) and `report --forecast` (burn rates).
import type { InstanceCostDistribution } from "../kpis/distribution.js";
import type { ForecastResult } from "../kpis/forecast.js";
import { formatCount, formatUsd, renderTable } from "./format.js";

export function renderDistributionTable(rows: readonly InstanceCostDistribution[]): string {
  if (rows.length === 0) return "";
  return `\nCost per instance, per use case\n${renderTable(
    [
      { header: "use case", align: "left" },
      { header: "instances", align: "right" },
      { header: "p50 USD", align: "right" },
      { header: "p95 USD", align: "right" },
      { header: "max USD", align: "right" },
    ],
    rows.map((r) => [
      r.useCase,
      formatCount(r.instances),
      formatUsd(r.p50Micros),
      formatUsd(r.p95Micros),
      formatUsd(r.maxMicros),
    ]),
  )}`;
}

const when = (iso: string | null) =>
  iso === null ? "-" : iso === "now" ? "now" : iso.replace(/:\d\d\.\d{3}Z$/, "Z");

export function renderForecastTable(result: ForecastResult): string {
  const useCases = renderTable(
    [
      { header: "use case", align: "left" },
      { header: "last 24h USD", align: "right" },
      { header: "last 7d USD", align: "right" },
      { header: "per day (7d) USD", align: "right" },
      { header: "next 30d USD", align: "right" },
    ],
    result.useCases.map((u) => [
      u.useCase,
      formatUsd(u.last1dMicros),
      formatUsd(u.last7dMicros),
      formatUsd(u.perDay7dMicros),
      formatUsd(u.next30dAt7dRateMicros),
    ]),
  );
  const out = [`Spend rate per use case (as of ${when(result.now)})\n${useCases}`];
  if (result.limits.length > 0) {
    out.push(
      `\nLimits: when each is reached at the last day's and the 7-day rate ("-": not before it resets)\n${renderTable(
        [
          { header: "limit", align: "left" },
          { header: "window", align: "left" },
          { header: "spent USD", align: "right" },
          { header: "max USD", align: "right" },
          { header: "24h USD", align: "right" },
          { header: "per day (7d) USD", align: "right" },
          { header: "reached (24h rate)", align: "left" },
          { header: "reached (7d rate)", align: "left" },
          { header: "resets", align: "left" },
        ],
        result.limits.map((l) => [
          l.id,
          l.window,
          formatUsd(l.spentMicros),
          formatUsd(l.maxMicros),
          formatUsd(l.last1dMicros),
          formatUsd(l.perDay7dMicros),
          when(l.reachedAt1d),
          when(l.reachedAt7d),
          l.resetsAt === null ? "never" : when(l.resetsAt),
        ]),
      )}`,
    );
  }
  return out.join("");
}
