// Limits: every spending limit with its scope, window and mode, its current window's spend, reservations,
// what is left, when it resets, its state, the calls it blocked — the figures of `costtrail limits list` — and
// when it will be reached at the current spend rate (`costtrail report --forecast`).
import type { ForecastResult, LimitForecast, LimitStatus, LimitsResult } from "../api-types.js";
import { $, barFill, h } from "./dom.js";
import { dateTime, fmtCount, fmtPct, fmtUsd } from "./format.js";

const STATE_ORDER: Record<LimitStatus["state"], number> = { exceeded: 0, alert: 1, ok: 2 };
const SCOPE_NAMES: Record<string, string> = {
  userId: "user",
  accountName: "account",
  useCaseName: "use case",
};

/** Limits are defined in USD (floats from the definition); shown to the cent above $10. */
const usd = (n: number) => fmtUsd(Math.round(n * 1e6), n >= 10 ? 2 : 4);

/** When the limit is reached at one rate: "now", a time, or why not (no spend, or not before it resets). */
function reached(at: string | null, perDayMicros: number): string {
  if (at === "now") return "reached now";
  if (at !== null) return `reached ${dateTime.format(new Date(at))}`;
  return perDayMicros > 0 ? "not before it resets" : "no spend";
}

/** The forecast line (`costtrail report --forecast`): the spend rate and when it reaches the limit. */
function forecastLine(f: LimitForecast): HTMLElement {
  const rate = (micros: number) => `${fmtUsd(micros, micros >= 10_000_000 ? 2 : 4)}/day`;
  return h(
    "div",
    {
      class: "limit-forecast",
      dataset: { reachedAt1d: f.reachedAt1d ?? "", reachedAt7d: f.reachedAt7d ?? "" },
    },
    h("span", null, `Last 24 h: ${rate(f.last1dMicros)}, ${reached(f.reachedAt1d, f.last1dMicros)}`),
    h("span", null, `7-day average: ${rate(f.perDay7dMicros)}, ${reached(f.reachedAt7d, f.perDay7dMicros)}`),
  );
}

function limitCard(l: LimitStatus, f: LimitForecast | undefined): HTMLElement {
  const scope = Object.entries(l.scope ?? {})
    .filter(([, v]) => v)
    .map(([k, v]) => `${SCOPE_NAMES[k] ?? k} ${v}`);
  const period = l.window === "total" ? "all time" : `per ${l.window}`;
  return h(
    "div",
    { class: `limit ${l.state}`, dataset: { limit: l.id, state: l.state, blocked: String(l.blocked) } },
    h(
      "div",
      { class: "limit-head" },
      h("span", { class: "limit-id", title: l.id }, l.id),
      h("span", { class: `badge ${l.state}` }, l.state),
    ),
    h(
      "div",
      { class: "limit-scope" },
      `${scope.length ? scope.join(", ") : "everything"} · ${period} · ${l.mode === "block" ? "blocks calls" : "alerts only"}`,
    ),
    h("div", { class: "bar", role: "presentation" }, barFill(l.pct)),
    h(
      "div",
      { class: "limit-figures" },
      h("span", null, h("strong", null, usd(l.spentUsd)), ` of ${usd(l.maxUsd)} (${fmtPct(l.pct)})`),
      h(
        "span",
        null,
        `${usd(Math.max(0, l.remainingUsd))} left`,
        l.resetsAt ? ` · resets ${dateTime.format(new Date(l.resetsAt))}` : "",
      ),
    ),
    l.reservedUsd > 0
      ? h("div", { class: "limit-figures" }, `${usd(l.reservedUsd)} reserved by calls in flight`)
      : null,
    // The calls this limit refused (status `blocked`, as `costtrail limits list` counts them).
    l.blocked > 0
      ? h(
          "div",
          { class: "limit-figures limit-blocked" },
          `${fmtCount(l.blocked)} ${l.blocked === 1 ? "call" : "calls"} blocked ${l.window === "total" ? "so far" : l.window === "day" ? "today" : `this ${l.window}`}`,
        )
      : null,
    f ? forecastLine(f) : null,
  );
}

/** `forecast` may be missing (its request failed): the cards then show no forecast line. */
export function renderLimits(result: LimitsResult, forecast?: ForecastResult): void {
  const box = $("#limits");
  if (!result.limits.length) {
    box.replaceChildren(
      h(
        "p",
        { class: "placeholder" },
        "No limits defined. Set them with instrument({ limits }) to cap spend per user, account or use case.",
      ),
    );
    return;
  }
  const limits = [...result.limits].sort(
    (a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || b.pct - a.pct,
  );
  const forecasts = new Map((forecast?.limits ?? []).map((f) => [f.id, f]));
  box.replaceChildren(
    h(
      "div",
      { class: "limits-list" },
      limits.map((l) => limitCard(l, forecasts.get(l.id))),
    ),
  );
}
