// The report as a terminal table: shared by `costtrail report` and the demo's closing summary.
import type { LocalReport } from "../ledger/fx-rates.js";
import type { ReportResult, ReportRow } from "../ledger/queries.js";
import { formatCount, formatNanosAsMicros, formatUsd, renderTable, type TableColumn } from "./format.js";

const NONE = "(none)";

export function renderReportTable(result: ReportResult | LocalReport): string {
  const local = "currency" in result ? result.currency : undefined;
  const instance = result.by === "instance";
  const showUnpriced = result.totals.unpriced > 0;
  // Only when something was refused: most ledgers have no block limits.
  const showBlocked = result.totals.blocked > 0;
  // Estimated cost is its own column, never in cost USD (docs/pricing.md "Estimated costs"); only when any.
  const showEstimated = result.totals.estimatedNanos !== "0";
  const columns: TableColumn[] = [
    { header: result.by, align: "left" },
    ...(instance ? [{ header: "use case", align: "left" } as const] : []),
    { header: "requests", align: "right" },
    { header: "errors", align: "right" },
    ...(showBlocked ? [{ header: "blocked", align: "right" } as const] : []),
    { header: "input tokens", align: "right" },
    { header: "output tokens", align: "right" },
    { header: "cost USD", align: "right" },
    ...(showEstimated ? [{ header: "estimated USD", align: "right" } as const] : []),
    ...(local ? [{ header: `cost ${local.currency}`, align: "right" } as const] : []),
    ...(local && showEstimated ? [{ header: `estimated ${local.currency}`, align: "right" } as const] : []),
    ...(showUnpriced ? [{ header: "unpriced", align: "right" } as const] : []),
  ];
  const cells = (row: ReportRow, key: string) => [
    key,
    ...(instance ? [row.useCaseName ?? ""] : []),
    formatCount(row.requests),
    formatCount(row.errors),
    ...(showBlocked ? [formatCount(row.blocked)] : []),
    formatCount(row.inputTokens),
    formatCount(row.outputTokens),
    formatUsd(row.costMicros),
    ...(showEstimated ? [formatNanosAsMicros(row.estimatedNanos)] : []),
    ...(local ? [formatNanosAsMicros(row.costLocalNanos ?? "0")] : []),
    ...(local && showEstimated ? [formatNanosAsMicros(row.estimatedLocalNanos ?? "0")] : []),
    ...(showUnpriced ? [formatCount(row.unpriced)] : []),
  ];
  const table = renderTable(
    columns,
    result.rows.map((row) => cells(row, row.key ?? NONE)),
    [cells(result.totals, "total")],
  );
  // Unpriced events add nothing to the cost; say so rather than let the total look complete.
  const n = result.totals.unpriced;
  const note = showUnpriced
    ? `note: ${formatCount(n)} ${n === 1 ? "event has" : "events have"} no known price and ${n === 1 ? "is" : "are"} not in cost USD\n`
    : "";
  const rate = local
    ? `${local.currency} at ${local.rate} per USD (rate from ${local.effectiveDate}); the ledger is in USD\n`
    : "";
  return table + note + rate;
}
