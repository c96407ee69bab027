// An instance's calls over time as a waterfall: one bar per call from its start to its end, coloured by step.
import type { InstanceDetail, UsageEvent } from "../api-types.js";
import { type Chart, chartLibrary, colour } from "./chart-lib.js";
import { h } from "./dom.js";
import { fmtCount, fmtDuration, fmtUsd } from "./format.js";

/** Calls drawn; the drawer says "(first 60)" beyond. */
export const TIMELINE_CALLS = 60;

let timelineChart: Chart<"bar", [number, number][]> | undefined;

const stepOf = (c: UsageEvent) => c.annotations.useCaseStep ?? "(no step)";

function tooltipLabel(c: UsageEvent): string {
  const cost = c.costMicros === null ? "unpriced" : fmtUsd(c.costMicros, 6);
  return ` ${stepOf(c)} · ${fmtDuration(c.durationMs)} · ${fmtCount(c.usage.inputTokens)}→${fmtCount(c.usage.outputTokens)} tokens · ${cost} · ${c.status}`;
}

function stepsLegend(steps: readonly string[]): HTMLUListElement {
  const swatch = (i: number) => {
    const el = h("span", { class: "swatch", "aria-hidden": "true" });
    el.style.background = colour(i);
    return el;
  };
  return h(
    "ul",
    { class: "legend", "aria-label": "Steps" },
    steps.map((s, i) => h("li", null, swatch(i), s)),
  );
}

export function renderTimeline(detail: InstanceDetail, box: HTMLElement): void {
  const ChartJs = chartLibrary(box);
  if (!ChartJs) return;
  const calls = detail.calls.slice(0, TIMELINE_CALLS);
  const t0 = Date.parse(calls[0]!.ts);
  const steps = [...new Set(calls.map(stepOf))];
  const span = Math.max(...calls.map((c) => Date.parse(c.ts) - t0 + c.durationMs));
  const unit = span >= 120_000 ? { ms: 60_000, label: "minutes" } : { ms: 1_000, label: "seconds" };
  const canvas = h("canvas", { role: "img", "aria-label": "Calls over time" });
  box.replaceChildren(canvas);
  // One row per call, at a readable height.
  box.style.height = `${Math.max(140, 40 + calls.length * 22)}px`;
  timelineChart?.destroy();
  timelineChart = new ChartJs(canvas, {
    type: "bar",
    data: {
      labels: calls.map((c, i) => `#${i + 1} ${c.responseModel ?? c.requestModel}`),
      datasets: [
        {
          label: "call",
          data: calls.map((c): [number, number] => {
            const start = (Date.parse(c.ts) - t0) / unit.ms;
            return [start, start + Math.max(c.durationMs / unit.ms, span / unit.ms / 400)];
          }),
          backgroundColor: calls.map((c) => colour(steps.indexOf(stepOf(c)))),
          borderRadius: 3,
          borderSkipped: false,
          barPercentage: 0.8,
          categoryPercentage: 0.9,
        },
      ],
    },
    options: {
      indexAxis: "y",
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: {
          beginAtZero: true,
          title: { display: true, text: `${unit.label} since the first call` },
          grid: { color: "#eef0f4" },
        },
        y: { grid: { display: false }, ticks: { font: { size: 11 } } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => tooltipLabel(calls[item.dataIndex]!) } },
      },
    },
  });
  if (steps.length > 1) box.after(stepsLegend(steps));
}
