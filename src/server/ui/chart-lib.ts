// Chart.js, loaded by its own <script> from /vendor (served from node_modules, never a CDN) as `window.Chart`.
// Typed by the chart.js package; the page works without it (tables, totals, limits) and says so.
import type { Chart } from "chart.js";
import { h } from "./dom.js";

declare global {
  interface Window {
    Chart?: typeof Chart;
  }
}

export type { Chart };

// Tableau 10, reordered: distinct, readable on white; the last is for "other".
export const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#76b7b2",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
] as const;

export const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

/** The Chart constructor, or undefined (after telling the user in `box`) when the library did not load. */
export function chartLibrary(box: HTMLElement): typeof Chart | undefined {
  if (window.Chart) return window.Chart;
  box.replaceChildren(
    h("div", { class: "chart-missing" }, "Chart library not available (chart.js not installed)."),
  );
  return undefined;
}
