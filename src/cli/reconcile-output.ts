import type { ReconcileRow } from "../reconcile/compare.js";
import type { ReconcileOutput } from "../reconcile/run.js";
import { formatCount, renderTable, type TableColumn, toCsv } from "./format.js";

const usd = (n: number | null) => (n === null ? "-" : n.toFixed(6));
const count = (n: number | null) => (n === null ? "-" : formatCount(n));
const pct = (n: number | null) => (n === null ? "-" : `${n.toFixed(2)}%`);
const pair = (p: number | null, l: number | null) => `${count(p)} / ${count(l)}`;

/**
 * The table: one line per row, `!` marking rows outside tolerance, then the likely cause of each marked row
 * and the totals. Amounts at 6 decimals here; the JSON output is exact.
 */
export function renderReconcileTable(out: ReconcileOutput): string {
  const providers = new Set(out.rows.map((r) => r.provider));
  const showProvider = providers.size > 1;
  const showProject = out.rows.some((r) => r.project !== undefined);
  const columns: TableColumn[] = [
    { header: "", align: "left" },
    ...(showProvider ? [{ header: "provider", align: "left" } as const] : []),
    { header: "day", align: "left" },
    { header: "model", align: "left" },
    ...(showProject ? [{ header: "project", align: "left" } as const] : []),
    { header: "provider USD", align: "right" },
    { header: "ledger USD", align: "right" },
    { header: "diff USD", align: "right" },
    { header: "coverage", align: "right" },
    { header: "requests p / l", align: "right" },
    { header: "input p / l", align: "right" },
    { header: "output p / l", align: "right" },
  ];
  const line = (r: ReconcileRow) => [
    r.withinTolerance ? "" : "!",
    ...(showProvider ? [r.provider] : []),
    r.day,
    r.model,
    ...(showProject ? [r.project ?? "(default)"] : []),
    usd(r.providerUsd),
    usd(r.ledgerUsd),
    usd(r.diffUsd),
    pct(r.coveragePct),
    pair(r.providerRequests, r.ledgerRequests),
    pair(r.providerInputTokens, r.ledgerInputTokens),
    pair(r.providerOutputTokens, r.ledgerOutputTokens),
  ];
  const t = out.totals;
  const blanks = (n: number) => Array.from({ length: n }, () => "");
  const footer = [
    [
      "",
      ...(showProvider ? [""] : []),
      "total",
      "",
      ...(showProject ? [""] : []),
      usd(t.providerUsd),
      usd(t.ledgerUsd),
      usd(t.diffUsd),
      pct(t.coveragePct),
      ...blanks(3),
    ],
  ];
  let text = `reconciliation ${out.since} → ${out.until}, tolerance ±${out.tolerancePct}%\n`;
  text += out.rows.length
    ? renderTable(columns, out.rows.map(line), footer)
    : "no spend reported by the provider or the ledger\n";
  const outside = out.rows.filter((r) => !r.withinTolerance);
  for (const r of outside) {
    const who = [showProvider ? r.provider : "", r.day, r.model].filter((s) => s && s !== "*").join(" ");
    text += `! ${who || "total"}: ${r.cause}\n`;
  }
  if (out.rows.length && outside.length === 0) text += "every row is within tolerance\n";
  for (const a of out.allocations ?? []) {
    text +=
      `allocated ${a.provider} ${a.day}: ${a.allocatedUsd} USD to use case ${a.useCase ?? "(none)"}, ` +
      `account ${a.account ?? "(none)"}\n`;
  }
  return text;
}

const CSV_FIELDS = [
  "provider",
  "day",
  "model",
  "project",
  "providerUsd",
  "ledgerUsd",
  "diffUsd",
  "providerRequests",
  "ledgerRequests",
  "providerInputTokens",
  "ledgerInputTokens",
  "providerOutputTokens",
  "ledgerOutputTokens",
  "coveragePct",
  "withinTolerance",
  "cause",
] as const;

/** One record per row, the JSON field names as the header. */
export function renderReconcileCsv(out: ReconcileOutput): string {
  return toCsv([
    [...CSV_FIELDS],
    ...out.rows.map((r) =>
      CSV_FIELDS.map((f) => {
        const v = r[f];
        return typeof v === "boolean" ? String(v) : (v ?? null);
      }),
    ),
  ]);
}
