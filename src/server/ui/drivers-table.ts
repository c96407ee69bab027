// The cost drivers table: one row per group of `report --by <tab>` (requests, errors, blocked calls when there
// are any — as `costtrail report` shows them —, tokens, spend, share), sortable by any column, with the period's
// total at the bottom.
import type { ReportResult, ReportRow } from "../api-types.js";
import { $, barFill, type Child, h, orNone } from "./dom.js";
import { decimalsFor, exactUsd, fmtCompact, fmtCount, fmtPct, fmtUsd, pct } from "./format.js";
import { DEFAULT_SORT, state, TABS, type Tab } from "./state.js";

interface Column {
  id: keyof ReportRow | "share";
  /** null: the tab's key label. */
  label: string | null;
  numeric: boolean;
  /** Only on this tab. */
  only?: string;
  /** The field the column sorts by, when not its own. */
  sortAs?: keyof ReportRow;
}

const COLUMNS: readonly Column[] = [
  { id: "key", label: null, numeric: false },
  { id: "useCaseName", label: "Use case", numeric: false, only: "instances" },
  { id: "requests", label: "Requests", numeric: true },
  { id: "errors", label: "Errors", numeric: true },
  { id: "blocked", label: "Blocked", numeric: true },
  { id: "inputTokens", label: "Input tokens", numeric: true },
  { id: "outputTokens", label: "Output tokens", numeric: true },
  { id: "costMicros", label: "Spend (USD)", numeric: true },
  { id: "share", label: "Share of spend", numeric: true, sortAs: "costMicros" },
];

export interface DriversActions {
  openInstance(id: string): void;
}

let last: { result: ReportResult; actions: DriversActions } | undefined;

function sortedRows(rows: readonly ReportRow[]): ReportRow[] {
  const { column, dir } = state.sort;
  const sign = dir === "asc" ? 1 : -1;
  const field = (row: ReportRow) => row[column as keyof ReportRow];
  // Stable: ties keep the server's order (cost, then requests, then key).
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const x = field(a.row);
      const y = field(b.row);
      if (x === y) return a.index - b.index;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return c * sign || a.index - b.index;
    })
    .map((r) => r.row);
}

function sortBy(column: string): void {
  if (state.sort.column === column) state.sort.dir = state.sort.dir === "asc" ? "desc" : "asc";
  else state.sort = { column, dir: column === "key" || column === "useCaseName" ? "asc" : "desc" };
  if (last) renderDrivers(last.result, last.actions);
}

/** A new tab starts sorted by spend. */
export function resetSort(): void {
  state.sort = { ...DEFAULT_SORT };
}

function keyCell(tab: Tab, row: ReportRow, actions: DriversActions): HTMLTableCellElement {
  const key = row.key;
  if (key === null) return h("td", { class: "key" }, orNone(null, tab.none));
  if (!tab.drill) return h("td", { class: "key", title: key }, key);
  return h(
    "td",
    { class: "key" },
    h(
      "button",
      {
        type: "button",
        class: "link",
        title: `Open instance ${key}`,
        onclick: () => actions.openInstance(key),
      },
      key,
    ),
  );
}

const countCell = (n: number, errors = false) =>
  h("td", { class: errors && n ? "num err-count" : "num" }, fmtCount(n));
const usdCell = (micros: number, decimals: number) =>
  h("td", { class: "num", title: `${exactUsd(micros)} USD` }, fmtUsd(micros, decimals));

function numberCells(
  row: ReportRow,
  decimals: number,
  maxCost: number,
  totalCost: number,
  withBlocked: boolean,
): Child[] {
  return [
    countCell(row.requests),
    countCell(row.errors, true),
    withBlocked ? countCell(row.blocked) : null,
    countCell(row.inputTokens),
    countCell(row.outputTokens),
    usdCell(row.costMicros, decimals),
    h(
      "td",
      { class: "num" },
      h(
        "div",
        { class: "share" },
        h("div", { class: "bar", "aria-hidden": "true" }, barFill(pct(row.costMicros, maxCost))),
        h("span", { class: "share-pct" }, fmtPct(pct(row.costMicros, totalCost))),
      ),
    ),
  ];
}

function headRow(columns: readonly Column[], tab: Tab): HTMLTableRowElement {
  return h(
    "tr",
    null,
    columns.map((c) => {
      const sortKey = c.sortAs ?? c.id;
      const sorted = state.sort.column === sortKey && c.id !== "share";
      return h(
        "th",
        {
          class: c.numeric ? "num" : null,
          scope: "col",
          "aria-sort": sorted ? (state.sort.dir === "asc" ? "ascending" : "descending") : null,
          dataset: { column: c.id },
        },
        h("button", { type: "button", class: "sort", onclick: () => sortBy(sortKey) }, c.label ?? tab.key),
      );
    }),
  );
}

function notes(result: ReportResult, tab: Tab): string {
  const out: string[] = [];
  if (result.groupCount > result.rows.length) {
    out.push(
      `Showing the ${fmtCount(result.rows.length)} most expensive of ${fmtCount(result.groupCount)} ${tab.label.toLowerCase()}; sorting reorders these.`,
    );
  }
  if (tab.note) out.push(tab.note);
  if (tab.drill && result.rows.length) out.push("Click an instance to see its calls.");
  return out.join(" ");
}

export function renderDrivers(result: ReportResult, actions: DriversActions): void {
  last = { result, actions };
  const tab = TABS.find((t) => t.by === result.by) ?? TABS[0]!;
  // Calls refused by a block limit get their column when the period has any (as in `costtrail report`).
  const withBlocked = result.totals.blocked > 0;
  const columns = COLUMNS.filter(
    (c) => (!c.only || c.only === tab.id) && (c.id !== "blocked" || withBlocked),
  );
  const instances = tab.id === "instances";
  const maxCost = Math.max(0, ...result.rows.map((r) => r.costMicros));
  const decimals = decimalsFor(Math.max(maxCost, result.totals.costMicros));
  const table = $<HTMLTableElement>("#drivers-table");
  table.dataset.by = result.by;

  const body = sortedRows(result.rows).map((row) =>
    h(
      "tr",
      {
        dataset: {
          key: row.key ?? "",
          none: row.key === null ? "true" : undefined,
          requests: String(row.requests),
          blocked: String(row.blocked),
          costMicros: String(row.costMicros),
        },
      },
      keyCell(tab, row, actions),
      instances ? h("td", null, orNone(row.useCaseName, "(none)")) : null,
      numberCells(row, decimals, maxCost, result.totals.costMicros, withBlocked),
    ),
  );
  const t = result.totals;
  const foot = h(
    "tr",
    { dataset: { requests: String(t.requests), costMicros: String(t.costMicros) } },
    h("td", null, "Total"),
    instances ? h("td") : null,
    countCell(t.requests),
    countCell(t.errors, true),
    withBlocked ? countCell(t.blocked) : null,
    countCell(t.inputTokens),
    countCell(t.outputTokens),
    usdCell(t.costMicros, decimals),
    h("td"),
  );
  const empty = result.rows.length
    ? null
    : h("tr", null, h("td", { colspan: columns.length, class: "placeholder" }, "No calls in this period."));
  table.replaceChildren(
    h("thead", null, headRow(columns, tab)),
    h("tbody", null, body, empty),
    h("tfoot", null, foot),
  );

  $("#drivers-note").textContent = notes(result, tab);
  const button = $(`#tab-${tab.id}`);
  button.querySelector(".tab-count")?.remove();
  button.append(h("span", { class: "tab-count" }, fmtCompact(result.groupCount)));
}
