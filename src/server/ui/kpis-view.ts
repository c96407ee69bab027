// KPIs: per use case, what each outcome cost (cost per unit), ROI for revenue KPIs, the goal, and the same per
// useCaseVersion side by side — the figures of `costtrail kpis` and `costtrail kpis --by version` (docs/kpis.md).
import type { KpiReportResult, KpiReportRow, KpiUseCaseRow } from "../api-types.js";
import { $, h } from "./dom.js";
import { fmtCount, fmtPct } from "./format.js";

/** Exact USD from integer nano-USD (a decimal string): 9 decimals, no float. */
export function exactUsdNanos(nanos: string): string {
  const negative = nanos.startsWith("-");
  const digits = (negative ? nanos.slice(1) : nanos).padStart(10, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -9)}.${digits.slice(-9)}`;
}

/** Readable USD from nano-USD: cents when large, more decimals for the tiny cost of one outcome. */
function usdNanos(nanos: string): string {
  const usd = Number(nanos) / 1e9;
  const abs = Math.abs(usd);
  const decimals = abs >= 10 ? 2 : abs >= 0.1 ? 4 : 6;
  return `$${usd.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })}`;
}

const amount = (nanos: string) => h("span", { title: `${exactUsdNanos(nanos)} USD` }, usdNanos(nanos));
const fmtRoi = (roi: number) => `${roi >= 0 ? "+" : ""}${(roi * 100).toFixed(1)}%`;
const versionLabel = (group: KpiReportRow["group"]) => (group === null ? "no version" : `v${group}`);

/** What the KPI amounted to: a rate for booleans, money for usd KPIs, a total (and average) otherwise. */
function outcome(row: KpiReportRow): string {
  if (row.kind === "boolean") {
    return row.rate === null
      ? "—"
      : `${fmtPct(row.rate * 100)} (${fmtCount(row.totalValue)} of ${fmtCount(row.instances)})`;
  }
  if (row.kind === "usd") return `${usdNanos(row.totalValueNanos)} total`;
  const avg =
    row.avgValue === null
      ? ""
      : ` (${row.avgValue.toLocaleString("en-US", { maximumFractionDigits: 2 })} avg)`;
  return `${row.totalValue.toLocaleString("en-US", { maximumFractionDigits: 4 })}${avg}`;
}

function goalCell(row: KpiReportRow): HTMLElement {
  if (!row.goal) return h("td", { class: "none" }, "—");
  const target = row.kind === "boolean" ? fmtPct(row.goal.value * 100) : String(row.goal.value);
  const state = row.goalMet === null ? "none" : row.goalMet ? "ok" : "exceeded";
  const word = row.goalMet === null ? "no data" : row.goalMet ? "met" : "missed";
  return h("td", null, `${row.goal.op} ${target} `, h("span", { class: `badge ${state}` }, word));
}

/**
 * One version's cell: the cost per unit, and the rate (booleans) or ROI (revenue) beside it; "—" (still marked
 * with its version) where the KPI was never recorded under that version (an undefined KPI has no row there).
 */
function versionCell(row: KpiReportRow | undefined, version: KpiReportRow["group"]): HTMLElement {
  if (!row) return h("td", { class: "num none", dataset: { version: String(version) } }, "—");
  const extra =
    row.kind === "boolean" && row.rate !== null
      ? ` · ${fmtPct(row.rate * 100)}`
      : row.roi !== null
        ? ` · ROI ${fmtRoi(row.roi)}`
        : "";
  return h(
    "td",
    {
      class: "num",
      dataset: { version: String(row.group), costPerUnitNanos: row.costPerUnitNanos ?? undefined },
    },
    row.costPerUnitNanos === null ? h("span", { class: "none" }, "no outcome") : amount(row.costPerUnitNanos),
    extra,
  );
}

function perInstance(u: KpiUseCaseRow | undefined): HTMLElement {
  if (!u || u.instances === 0) return h("td", { class: "none" }, "—");
  // Rounded half up to the nano-USD, as the KPI report rounds cost per unit (costs are never negative).
  const nanos = String((2n * BigInt(u.costNanos) + BigInt(u.instances)) / (2n * BigInt(u.instances)));
  return h(
    "td",
    {
      class: "num",
      dataset: { version: String(u.group), instances: String(u.instances), costPerInstanceNanos: nanos },
    },
    amount(nanos),
    ` · ${fmtCount(u.instances)} inst.`,
  );
}

function useCaseCard(useCase: KpiUseCaseRow, rows: KpiReportRow[], byVersion: KpiReportResult): HTMLElement {
  const versionRows = byVersion.rows.filter((r) => r.useCase === useCase.useCase);
  const versionCases = byVersion.useCases.filter((u) => u.useCase === useCase.useCase);
  const versions = versionCases.map((u) => u.group);
  const showVersions = versions.length > 1 || (versions.length === 1 && versions[0] !== null);
  const head = h(
    "tr",
    null,
    h("th", { scope: "col" }, "KPI"),
    h("th", { scope: "col" }, "Outcome"),
    h("th", { scope: "col", class: "num" }, "Cost per unit"),
    h("th", { scope: "col", class: "num" }, "ROI"),
    h("th", { scope: "col" }, "Goal"),
    showVersions ? versions.map((v) => h("th", { scope: "col", class: "num" }, versionLabel(v))) : null,
  );
  const body = rows.map((row) =>
    h(
      "tr",
      {
        dataset: {
          kpi: row.kpi,
          kind: row.kind,
          costPerUnitNanos: row.costPerUnitNanos ?? undefined,
          roi: row.roi === null ? undefined : String(row.roi),
        },
      },
      h(
        "th",
        { scope: "row" },
        row.kpi,
        row.defined
          ? null
          : h(
              "span",
              { class: "badge alert", title: "recorded without a definition: its kind is inferred" },
              "undefined",
            ),
      ),
      h("td", null, outcome(row)),
      h(
        "td",
        { class: "num" },
        row.costPerUnitNanos === null ? h("span", { class: "none" }, "—") : amount(row.costPerUnitNanos),
      ),
      h("td", { class: "num" }, row.roi === null ? h("span", { class: "none" }, "—") : fmtRoi(row.roi)),
      goalCell(row),
      showVersions
        ? versions.map((v) =>
            versionCell(
              versionRows.find((r) => r.kpi === row.kpi && r.group === v),
              v,
            ),
          )
        : null,
    ),
  );
  const costRow = showVersions
    ? h(
        "tr",
        { class: "kpi-cost-row" },
        h("th", { scope: "row" }, "Cost per instance"),
        h("td", { colspan: 4, class: "muted" }, "what one run of the use case cost, per version"),
        versions.map((v) => perInstance(versionCases.find((u) => u.group === v))),
      )
    : null;
  return h(
    "article",
    { class: "kpi-case", dataset: { useCase: useCase.useCase, costNanos: useCase.costNanos } },
    h(
      "header",
      { class: "kpi-case-head" },
      h("h3", null, useCase.useCase),
      h("span", { class: "muted" }, `${fmtCount(useCase.instances)} instances · `, amount(useCase.costNanos)),
    ),
    h(
      "div",
      { class: "table-wrap" },
      h("table", { class: "data kpi-table" }, h("thead", null, head), h("tbody", null, body, costRow)),
    ),
  );
}

/** `overall`: the KPI report without grouping; `byVersion`: the same range grouped by useCaseVersion. */
export function renderKpis(overall: KpiReportResult, byVersion: KpiReportResult): void {
  const box = $("#kpis");
  const cases = overall.useCases.filter((u) => overall.rows.some((r) => r.useCase === u.useCase));
  if (!cases.length) {
    box.replaceChildren(
      h(
        "p",
        { class: "placeholder" },
        "No KPIs in this period. Record outcomes with recordKpi(name, value) to see what each one costs (docs/kpis.md).",
      ),
    );
    return;
  }
  cases.sort((a, b) => Number(BigInt(b.costNanos) - BigInt(a.costNanos)) || (a.useCase < b.useCase ? -1 : 1));
  box.replaceChildren(
    ...cases.map((u) =>
      useCaseCard(
        u,
        overall.rows.filter((r) => r.useCase === u.useCase),
        byVersion,
      ),
    ),
  );
}
