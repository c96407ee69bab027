// The headline: the period's label and the spend cards (spend, requests, errors, blocked, input and output
// tokens).
import type { TotalsResult } from "../api-types.js";
import { $ } from "./dom.js";
import { dateTime, dayYearFormat, exactUsd, fmtCompact, fmtCount, fmtPct, fmtUsd, pct } from "./format.js";
import { PERIODS, state } from "./state.js";

function setTotal(name: string, text: string, title?: string): void {
  const el = $(`[data-total="${name}"]`);
  el.textContent = text;
  if (title !== undefined) el.title = title;
}

function renderPeriodLabel(result: TotalsResult): void {
  $("#period-label").textContent =
    state.period === "custom" && result.since && result.until
      ? `${dayYearFormat.format(new Date(result.since))} – ${dayYearFormat.format(new Date(Date.parse(result.until) - 1))}`
      : PERIODS[state.period].label;
  const parts: string[] = [];
  if (state.useCase) parts.push(`use case ${state.useCase}`);
  if (result.firstEventAt && result.lastEventAt) {
    parts.push(
      `calls from ${dateTime.format(new Date(result.firstEventAt))} to ${dateTime.format(new Date(result.lastEventAt))}`,
    );
  }
  $("#period-detail").textContent = parts.join(" · ");
}

const perRequest = (value: number, requests: number) =>
  requests ? `${fmtCount(Math.round(value / requests))} per request` : "";

export function renderTotals(result: TotalsResult): void {
  const t = result.totals;
  renderPeriodLabel(result);
  const totals = $("#totals");
  totals.dataset.costMicros = String(t.costMicros);
  totals.dataset.requests = String(t.requests);
  totals.dataset.blocked = String(result.blocked);
  setTotal("spend", fmtUsd(t.costMicros), `${exactUsd(t.costMicros)} USD`);
  setTotal("spend-sub", t.requests ? `${fmtUsd(Math.round(t.costMicros / t.requests))} per request` : "");
  setTotal("requests", fmtCompact(t.requests), fmtCount(t.requests));
  setTotal("requests-sub", t.unpriced ? `${fmtCount(t.unpriced)} without a known price` : "all priced");
  setTotal("errors", fmtCompact(t.errors), fmtCount(t.errors));
  setTotal("errors-sub", t.requests ? `${fmtPct(pct(t.errors, t.requests))} of requests` : "");
  setTotal("blocked", fmtCompact(result.blocked), fmtCount(result.blocked));
  setTotal(
    "blocked-sub",
    t.requests ? `${fmtPct(pct(result.blocked, t.requests))} of requests, by limits` : "",
  );
  setTotal("input", fmtCompact(t.inputTokens), fmtCount(t.inputTokens));
  setTotal("input-sub", perRequest(t.inputTokens, t.requests));
  setTotal("output", fmtCompact(t.outputTokens), fmtCount(t.outputTokens));
  setTotal("output-sub", perRequest(t.outputTokens, t.requests));
  const note = $("#unpriced-note");
  note.hidden = t.unpriced === 0;
  const one = t.unpriced === 1;
  note.textContent = t.unpriced
    ? `${fmtCount(t.unpriced)} ${one ? "call has" : "calls have"} no known price and ${one ? "is" : "are"} not in the spend (add a price override).`
    : "";
  // Estimated cost is kept out of the spend and shown beside it (docs/pricing.md "Estimated costs").
  const estimatedMicros = Number((BigInt(t.estimatedNanos) + 999n) / 1000n);
  const estimated = $("#estimated-note");
  estimated.hidden = estimatedMicros === 0;
  estimated.textContent = estimatedMicros
    ? `Plus ${fmtUsd(estimatedMicros)} estimated for calls that left no usage (timeouts, aborts in flight, streams cut short); not in the spend.`
    : "";
  $("#empty-period").hidden = t.requests > 0 || state.period === "all";
}
