// Limits: every spending limit with its scope, window and mode, its current window's spend, reservations,
// what is left, when it resets, and its state — the figures of `costtrail limits list`.
import type { LimitStatus, LimitsResult } from "../api-types.js";
import { $, barFill, h } from "./dom.js";
import { dateTime, fmtPct, fmtUsd } from "./format.js";

const STATE_ORDER: Record<LimitStatus["state"], number> = { exceeded: 0, alert: 1, ok: 2 };
const SCOPE_NAMES: Record<string, string> = {
  userId: "user",
  accountName: "account",
  useCaseName: "use case",
};

/** Limits are defined in USD (floats from the definition); shown to the cent above $10. */
const usd = (n: number) => fmtUsd(Math.round(n * 1e6), n >= 10 ? 2 : 4);

function limitCard(l: LimitStatus): HTMLElement {
  const scope = Object.entries(l.scope ?? {})
    .filter(([, v]) => v)
    .map(([k, v]) => `${SCOPE_NAMES[k] ?? k} ${v}`);
  const period = l.window === "total" ? "all time" : `per ${l.window}`;
  return h(
    "div",
    { class: `limit ${l.state}`, dataset: { limit: l.id, state: l.state } },
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
  );
}

export function renderLimits(result: LimitsResult): void {
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
  box.replaceChildren(h("div", { class: "limits-list" }, limits.map(limitCard)));
}
