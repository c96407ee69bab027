// Burn rate per use case, under the spend chart: the spend over the last 24 hours, the 7-day daily average, and
// 30 days at that average — the use-case half of `costtrail report --forecast` (the limits card has the rest).
import type { ForecastResult } from "../api-types.js";
import { $, h } from "./dom.js";
import { decimalsFor, exactUsd, fmtUsd } from "./format.js";

/** Use cases shown: the fastest-spending ones. */
const SHOWN = 8;

/** `useCase`: the page's use-case filter, if any (the table then shows that use case only). */
export function renderBurnRate(forecast: ForecastResult, useCase?: string): void {
  const box = $("#burn-rate");
  const rows = forecast.useCases
    .filter((u) => !useCase || u.useCase === useCase)
    .sort((a, b) => b.perDay7dMicros - a.perDay7dMicros || b.last1dMicros - a.last1dMicros)
    .slice(0, SHOWN);
  if (!rows.length) {
    box.replaceChildren(h("p", { class: "placeholder" }, "No spend by a use case in the last 7 days."));
    return;
  }
  const decimals = decimalsFor(Math.max(...rows.map((r) => r.next30dAt7dRateMicros)));
  const amount = (micros: number) =>
    h("td", { class: "num", title: `${exactUsd(micros)} USD` }, fmtUsd(micros, decimals));
  box.replaceChildren(
    h(
      "table",
      { class: "data burn-rate" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col" }, "Use case"),
          h("th", { scope: "col", class: "num" }, "Last 24 h"),
          h("th", { scope: "col", class: "num" }, "7-day average / day"),
          h("th", { scope: "col", class: "num" }, "Next 30 days at that rate"),
        ),
      ),
      h(
        "tbody",
        null,
        rows.map((r) =>
          h(
            "tr",
            {
              dataset: {
                useCase: r.useCase,
                perDay7dMicros: String(r.perDay7dMicros),
                last1dMicros: String(r.last1dMicros),
              },
            },
            h("td", null, r.useCase),
            amount(r.last1dMicros),
            amount(r.perDay7dMicros),
            amount(r.next30dAt7dRateMicros),
          ),
        ),
      ),
    ),
    // replaceChildren takes nodes or strings: "" for no note (null would print "null").
    !useCase && forecast.useCases.length > SHOWN
      ? h(
          "p",
          { class: "muted small-print" },
          `The ${SHOWN} fastest of ${forecast.useCases.length} use cases.`,
        )
      : "",
  );
}
