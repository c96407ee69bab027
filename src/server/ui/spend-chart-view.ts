// Spend over time: a bar per UTC day or hour, stacked by use case (the most expensive; the rest as "other").
import type { SpendOverTimeResult } from "../api-types.js";
import { type Chart, chartLibrary, colour } from "./chart-lib.js";
import { $, $$ } from "./dom.js";
import { dayFormat, fmtCount, fmtUsd, hourFormat } from "./format.js";

let spendChart: Chart<"bar"> | undefined;

function bucketLabel(iso: string, size: SpendOverTimeResult["bucket"]): string {
  const d = new Date(iso);
  return size === "hour" ? hourFormat.format(d) : dayFormat.format(d);
}

export function renderSpend(result: SpendOverTimeResult): void {
  for (const b of $$("#bucket button")) {
    b.setAttribute("aria-pressed", String(b.dataset.bucket === result.bucket));
  }
  const ChartJs = chartLibrary($(".chart-box"));
  if (!ChartJs) return;
  const labels = result.buckets.map((b) => bucketLabel(b, result.bucket));
  // Per series and bucket, for the tooltip (the chart's data are dollars).
  const requests = result.series.map((s) => s.requests);
  const datasets = result.series.map((s, i) => ({
    label: s.other ? "other use cases" : (s.useCase ?? "(no use case)"),
    data: s.costMicros.map((m) => m / 1e6),
    backgroundColor: s.other ? "#c9ced6" : colour(i),
    borderWidth: 0,
    borderRadius: 2,
    maxBarThickness: 48,
  }));
  $("#spend-note").textContent =
    `UTC ${result.bucket === "hour" ? "hours" : "days"}, stacked by use case` +
    (result.series.some((s) => s.other) ? " (the most expensive; the rest as “other”)." : ".");
  spendChart?.destroy();
  spendChart = new ChartJs($<HTMLCanvasElement>("#spend-chart"), {
    type: "bar",
    data: { labels, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: {
          stacked: true,
          beginAtZero: true,
          grid: { color: "#eef0f4" },
          ticks: { callback: (v) => `$${Number(v).toLocaleString("en-US", { maximumFractionDigits: 6 })}` },
        },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true } },
        tooltip: {
          filter: (item) => Number(item.raw) > 0,
          callbacks: {
            label: (item) =>
              ` ${item.dataset.label}: ${fmtUsd(Number(item.raw) * 1e6, 6)} · ${fmtCount(requests[item.datasetIndex]?.[item.dataIndex] ?? 0)} requests`,
            footer: (items) => {
              const total = items.reduce((s, i) => s + Number(i.raw), 0);
              return `Total ${fmtUsd(total * 1e6, 6)}`;
            },
          },
        },
      },
    },
  });
}
