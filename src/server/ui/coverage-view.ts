// Bill coverage: how much of each provider's own bill the ledger explains, per UTC day, from the latest
// `costtrail reconcile` run that covered the day (GET /api/reconciliations, docs/reconcile.md).
import type { CoverageDay, ReconciliationsResult } from "../api-types.js";
import { $, barFill, h } from "./dom.js";
import { dayFormat, fmtUsd } from "./format.js";

/** Days shown per provider: the newest ones. */
const DAYS_SHOWN = 14;

const usd = (n: number) => fmtUsd(Math.round(n * 1e6), Math.abs(n) >= 10 ? 2 : 4);
const coverage = (p: number | null) => (p === null ? "—" : `${p.toFixed(p >= 99.995 ? 0 : 2)}%`);

/** Coverage over several days: ledger ÷ provider of their sums (null when the provider billed nothing). */
function coverageOf(days: readonly CoverageDay[]): { provider: number; ledger: number; pct: number | null } {
  const provider = days.reduce((n, d) => n + d.providerUsd, 0);
  const ledger = days.reduce((n, d) => n + d.ledgerUsd, 0);
  return { provider, ledger, pct: provider > 0 ? (ledger / provider) * 100 : ledger > 0 ? null : 100 };
}

function providerBlock(provider: string, days: CoverageDay[]): HTMLElement {
  const shown = days.slice(0, DAYS_SHOWN);
  const total = coverageOf(shown);
  const gap = total.provider - total.ledger;
  return h(
    "div",
    {
      class: "coverage-provider",
      dataset: { provider, coveragePct: total.pct === null ? "" : total.pct.toFixed(2) },
    },
    h(
      "div",
      { class: "limit-head" },
      h("span", { class: "limit-id" }, provider),
      h(
        "span",
        { class: `badge ${total.pct !== null && total.pct >= 98 ? "ok" : "alert"}` },
        coverage(total.pct),
      ),
    ),
    h("div", { class: "bar", role: "presentation" }, barFill(total.pct ?? 0)),
    h(
      "div",
      { class: "limit-figures" },
      h("span", null, h("strong", null, usd(total.ledger)), ` of ${usd(total.provider)} billed explained`),
      h("span", null, gap > 0 ? `${usd(gap)} unexplained` : gap < 0 ? `ledger ${usd(-gap)} above` : "no gap"),
    ),
    h(
      "table",
      { class: "data coverage-days" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col" }, "Day (UTC)"),
          h("th", { scope: "col", class: "num" }, "Billed"),
          h("th", { scope: "col", class: "num" }, "Ledger"),
          h("th", { scope: "col", class: "num" }, "Gap"),
          h("th", { scope: "col", class: "num" }, "Coverage"),
        ),
      ),
      h(
        "tbody",
        null,
        shown.map((d) =>
          h(
            "tr",
            {
              dataset: {
                day: d.day,
                gapUsd: String(d.gapUsd),
                coveragePct: d.coveragePct === null ? "" : String(d.coveragePct),
              },
            },
            h(
              "td",
              { title: `reconciled ${d.reconciledAt}` },
              dayFormat.format(new Date(`${d.day}T00:00:00Z`)),
            ),
            h("td", { class: "num", title: `${d.providerUsd} USD` }, usd(d.providerUsd)),
            h("td", { class: "num", title: `${d.ledgerUsd} USD` }, usd(d.ledgerUsd)),
            h("td", { class: "num", title: `${d.gapUsd} USD` }, usd(d.gapUsd)),
            h("td", { class: "num" }, coverage(d.coveragePct)),
          ),
        ),
      ),
    ),
    days.length > DAYS_SHOWN
      ? h("p", { class: "muted small-print" }, `The newest ${DAYS_SHOWN} of ${days.length} reconciled days.`)
      : null,
  );
}

export function renderCoverage(result: ReconciliationsResult): void {
  const box = $("#coverage");
  if (!result.days.length) {
    box.replaceChildren(
      h(
        "p",
        { class: "placeholder" },
        "No reconciliation yet. Run costtrail reconcile with an admin key to see how much of the provider's bill the ledger explains.",
      ),
    );
    return;
  }
  const providers = [...new Set(result.days.map((d) => d.provider))].sort();
  box.replaceChildren(
    ...providers.map((p) =>
      providerBlock(
        p,
        result.days.filter((d) => d.provider === p),
      ),
    ),
  );
}
