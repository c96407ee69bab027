// The instance drill-down's tables: per step and per model, and each call.
import type { InstanceDetail, ReportRow, UsageEvent } from "../api-types.js";
import { h, orNone } from "./dom.js";
import { dateTime, decimalsFor, exactUsd, fmtCount, fmtDuration, fmtPct, fmtUsd, pct } from "./format.js";

const panel = (caption: string, table: HTMLTableElement) =>
  h("section", { class: "panel" }, h("h3", null, caption), h("div", { class: "table-wrap" }, table));

/** Calls, tokens and spend per step or model. */
export function miniTable(caption: string, rows: readonly ReportRow[], keyLabel: string, none: string) {
  const maxCost = Math.max(0, ...rows.map((r) => r.costMicros));
  const decimals = decimalsFor(maxCost);
  const total = rows.reduce((s, r) => s + r.costMicros, 0);
  const head = h(
    "tr",
    null,
    h("th", null, keyLabel),
    h("th", { class: "num" }, "Calls"),
    h("th", { class: "num" }, "Tokens in / out"),
    h("th", { class: "num" }, "Spend"),
  );
  const body = rows.map((r) =>
    h(
      "tr",
      { dataset: { key: r.key ?? "" } },
      h("td", { class: "key", title: r.key ?? none }, orNone(r.key, none)),
      h("td", { class: "num" }, fmtCount(r.requests)),
      h("td", { class: "num" }, `${fmtCount(r.inputTokens)} / ${fmtCount(r.outputTokens)}`),
      h(
        "td",
        { class: "num", title: `${exactUsd(r.costMicros)} USD · ${fmtPct(pct(r.costMicros, total))}` },
        fmtUsd(r.costMicros, decimals),
      ),
    ),
  );
  return panel(caption, h("table", { class: "data" }, h("thead", null, head), h("tbody", null, body)));
}

function callRow(c: UsageEvent, i: number, first: number, decimals: number): HTMLTableRowElement {
  return h(
    "tr",
    { dataset: { eventId: c.id } },
    h("td", { class: "muted" }, String(i + 1)),
    h(
      "td",
      { title: c.ts },
      i === 0 ? dateTime.format(new Date(c.ts)) : `+${fmtDuration(Date.parse(c.ts) - first)}`,
    ),
    h("td", null, orNone(c.annotations.useCaseStep, "—")),
    h("td", { title: `${c.provider} ${c.operation}` }, c.responseModel ?? c.requestModel),
    h("td", null, h("span", { class: `badge ${c.status === "ok" ? "ok" : c.status}` }, c.status)),
    h("td", { class: "num" }, fmtDuration(c.durationMs)),
    h("td", { class: "num" }, fmtCount(c.usage.inputTokens)),
    h("td", { class: "num" }, fmtCount(c.usage.outputTokens)),
    h(
      "td",
      { class: "num", title: c.costMicros === null ? "no known price" : `${exactUsd(c.costMicros)} USD` },
      c.costMicros === null ? "unpriced" : fmtUsd(c.costMicros, decimals),
    ),
  );
}

/** Every call (at most the API's limit), oldest first, timed from the first. */
export function callsTable(detail: InstanceDetail) {
  const first = Date.parse(detail.calls[0]?.ts ?? detail.firstEventAt);
  const decimals = decimalsFor(Math.max(0, ...detail.calls.map((c) => c.costMicros ?? 0)));
  const head = h(
    "tr",
    null,
    ["#", "Time", "Step", "Model", "Status"].map((l) => h("th", null, l)),
    ["Duration", "Input", "Output", "Spend"].map((l) => h("th", { class: "num" }, l)),
  );
  const truncated = detail.truncated
    ? ` (first ${fmtCount(detail.calls.length)} of ${fmtCount(detail.totals.requests)})`
    : "";
  return panel(
    `Calls${truncated}`,
    h(
      "table",
      { class: "data", id: "instance-calls" },
      h("thead", null, head),
      h(
        "tbody",
        null,
        detail.calls.map((c, i) => callRow(c, i, first, decimals)),
      ),
    ),
  );
}
