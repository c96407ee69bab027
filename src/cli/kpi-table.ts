// The KPI report as a terminal table: shared by `costtrail kpis` and the demo's closing table.
import type { KpiReportResult, KpiReportRow } from "../kpis/report.js";
import { formatCount, renderTable, type TableColumn } from "./format.js";

/** Exact USD from integer nano-USD: 6 decimals when that is exact, else all 9. */
export function formatNanosUsd(nanos: string): string {
  const n = BigInt(nanos);
  const sign = n < 0n ? "-" : "";
  const abs = n < 0n ? -n : n;
  const fraction = String(abs % 1_000_000_000n).padStart(9, "0");
  return `${sign}${abs / 1_000_000_000n}.${fraction.endsWith("000") ? fraction.slice(0, 6) : fraction}`;
}

/** Up to 4 decimals, no trailing zeros: KPI values are counts, rates and amounts, not money to the nano. */
const num = (v: number | null) => (v === null ? "-" : String(Math.round(v * 10_000) / 10_000));
const pct = (v: number | null) => (v === null ? "-" : `${(v * 100).toFixed(1)}%`);

function goalCell(row: KpiReportRow): string {
  if (!row.goal) return "-";
  const target = row.kind === "boolean" ? `${row.goal.value * 100}%` : String(row.goal.value);
  const mark = row.goalMet === null ? "" : row.goalMet ? " met" : " missed";
  return `${row.goal.op} ${target}${mark}`;
}

export function renderKpiTable(result: KpiReportResult): string {
  if (result.rows.length === 0) {
    return result.useCases.length === 0
      ? "no use-case instances in this range\n"
      : "no KPIs recorded for these use cases (see docs/kpis.md: recordKpi)\n";
  }
  const grouped = result.by !== null;
  const columns: TableColumn[] = [
    { header: "use case", align: "left" },
    ...(grouped ? [{ header: result.by!, align: "left" } as const] : []),
    { header: "kpi", align: "left" },
    { header: "kind", align: "left" },
    { header: "instances", align: "right" },
    { header: "with kpi", align: "right" },
    { header: "total", align: "right" },
    { header: "avg", align: "right" },
    { header: "rate", align: "right" },
    { header: "cost USD", align: "right" },
    { header: "cost/unit USD", align: "right" },
    { header: "ROI", align: "right" },
    { header: "goal", align: "left" },
  ];
  const cells = result.rows.map((r) => [
    r.useCase,
    ...(grouped ? [r.group === null ? "(none)" : String(r.group)] : []),
    r.defined ? r.kpi : `${r.kpi} *`,
    r.kind,
    formatCount(r.instances),
    formatCount(r.instancesWithKpi),
    num(r.totalValue),
    num(r.avgValue),
    pct(r.rate),
    formatNanosUsd(r.costNanos),
    r.costPerUnitNanos === null ? "-" : formatNanosUsd(r.costPerUnitNanos),
    pct(r.roi),
    goalCell(r),
  ]);
  const undefinedNote = result.rows.some((r) => !r.defined)
    ? "* not defined in instrument({ kpis }): kind inferred from the values\n"
    : "";
  return renderTable(columns, cells) + undefinedNote;
}
