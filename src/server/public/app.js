// costtrail dashboard: vanilla JS over the JSON API (/api/*), no build step. Chart.js (window.Chart) comes
// from /vendor. Every value from the ledger reaches the DOM as text (textContent / attributes), never as HTML.

const TABS = [
  { id: "users", by: "user", label: "Users", key: "User", none: "(no user)" },
  { id: "use-cases", by: "use-case", label: "Use cases", key: "Use case", none: "(no use case)" },
  {
    id: "instances",
    by: "instance",
    label: "Instances",
    key: "Instance",
    none: "(no instance)",
    drill: true,
  },
  { id: "accounts", by: "account", label: "Accounts", key: "Account", none: "(no account)" },
  { id: "models", by: "model", label: "Models", key: "Model", none: "(no model)" },
  {
    id: "tags",
    by: "tag",
    label: "Tags",
    key: "Tag",
    none: "(untagged)",
    note: "A call with several tags is counted in each of its tags' rows; the total counts it once.",
  },
];

const PERIODS = {
  "24h": { label: "in the last 24 hours", ms: 86_400_000 },
  "7d": { label: "in the last 7 days", ms: 7 * 86_400_000 },
  "30d": { label: "in the last 30 days", ms: 30 * 86_400_000 },
  all: { label: "all time" },
  custom: { label: "" },
};

/** Rows a table asks for; the rest are counted in the note (groupCount). */
const ROW_LIMIT = 500;

// Tableau 10, reordered: distinct, readable on white; the last is for "other".
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#76b7b2",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

// ---------------------------------------------------------------------------------------------- helpers

const $ = (selector, root = document) => root.querySelector(selector);

/** document.createElement with attributes, listeners (`onclick`) and children (strings become text nodes). */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") {
      for (const [key, data] of Object.entries(value)) if (data !== undefined) el.dataset[key] = data;
    } else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const countFormat = new Intl.NumberFormat("en-US");
const compactFormat = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const fmtCount = (n) => countFormat.format(n);
const fmtCompact = (n) => (Math.abs(n) < 10_000 ? countFormat.format(n) : compactFormat.format(n));

/** Exact USD with 6 decimals from integer micro-USD, as the CLI prints it. */
function exactUsd(micros) {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.trunc(abs / 1e6)}.${String(abs % 1e6).padStart(6, "0")}`;
}

/** Decimals that keep a table's amounts readable: cents for dollars, more for the tiny costs of cheap models. */
function decimalsFor(maxMicros) {
  if (maxMicros >= 10_000_000) return 2;
  if (maxMicros >= 100_000) return 4;
  return 6;
}

function fmtUsd(micros, decimals = decimalsFor(Math.abs(micros))) {
  const usd = micros / 1e6;
  return `$${usd.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })}`;
}

const pct = (part, whole) => (whole > 0 ? (part / whole) * 100 : 0);
const fmtPct = (p) =>
  p === 0 ? "0%" : p < 0.1 ? "<0.1%" : p < 10 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;

const dateTime = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
const dayFormat = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const dayYearFormat = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  year: "numeric",
  timeZone: "UTC",
});
const hourFormat = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
  timeZone: "UTC",
});

function fmtDuration(ms) {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
  return `${(ms / 86_400_000).toFixed(1)} days`;
}

// ---------------------------------------------------------------------------------------------- state (in the URL hash)

const state = {
  period: "30d",
  since: "",
  until: "",
  useCase: "",
  tab: "users",
  bucket: "",
  instance: "",
  sort: { column: "costMicros", dir: "desc" },
};

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const period = p.get("period");
  state.period = period && period in PERIODS ? period : "30d";
  state.since = p.get("since") ?? "";
  state.until = p.get("until") ?? "";
  if (state.period === "custom" && !(state.since && state.until)) state.period = "30d";
  state.useCase = p.get("useCase") ?? "";
  const tab = p.get("tab");
  state.tab = TABS.some((t) => t.id === tab) ? tab : "users";
  const bucket = p.get("bucket");
  state.bucket = bucket === "day" || bucket === "hour" ? bucket : "";
  state.instance = p.get("instance") ?? "";
}

function writeHash() {
  const p = new URLSearchParams();
  p.set("period", state.period);
  if (state.period === "custom") {
    p.set("since", state.since);
    p.set("until", state.until);
  }
  if (state.useCase) p.set("useCase", state.useCase);
  p.set("tab", state.tab);
  if (state.bucket) p.set("bucket", state.bucket);
  if (state.instance) p.set("instance", state.instance);
  history.replaceState(null, "", `#${p}`);
}

/** The period of the last full load: tab switches and bucket changes reuse it, so every panel agrees. */
let loadedParams = {};

/** Since/until as absolute ISO times, computed once per load so every panel shows the same period. */
function periodParams() {
  const params = {};
  const preset = PERIODS[state.period];
  if (preset?.ms) params.since = new Date(Date.now() - preset.ms).toISOString();
  if (state.period === "custom") {
    params.since = state.since;
    // The picker's "to" day is inclusive; the API's until is exclusive.
    const until = new Date(`${state.until}T00:00:00Z`);
    until.setUTCDate(until.getUTCDate() + 1);
    params.until = until.toISOString().slice(0, 10);
  }
  if (state.useCase) params.useCase = state.useCase;
  return params;
}

/** Hour buckets for short periods, days otherwise, unless the user chose. */
function bucket() {
  if (state.bucket) return state.bucket;
  if (state.period === "24h") return "hour";
  if (state.period === "custom") {
    const days = (Date.parse(state.until) - Date.parse(state.since)) / 86_400_000;
    return days <= 2 ? "hour" : "day";
  }
  return "day";
}

// ---------------------------------------------------------------------------------------------- API

async function api(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
  let body;
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

function showError(error) {
  const banner = $("#error-banner");
  if (!error) {
    banner.hidden = true;
    banner.textContent = "";
    return;
  }
  banner.hidden = false;
  banner.textContent = `Could not load: ${error.message ?? error}`;
}

// ---------------------------------------------------------------------------------------------- totals

function setTotal(name, text, title) {
  const el = $(`[data-total="${name}"]`);
  el.textContent = text;
  if (title !== undefined) el.title = title;
}

function renderPeriodLabel(result) {
  $("#period-label").textContent =
    state.period === "custom"
      ? `${dayYearFormat.format(new Date(result.since))} – ${dayYearFormat.format(new Date(Date.parse(result.until) - 1))}`
      : PERIODS[state.period].label;
  const parts = [];
  if (state.useCase) parts.push(`use case ${state.useCase}`);
  if (result.firstEventAt) {
    parts.push(
      `calls from ${dateTime.format(new Date(result.firstEventAt))} to ${dateTime.format(new Date(result.lastEventAt))}`,
    );
  }
  $("#period-detail").textContent = parts.join(" · ");
}

function renderTotals(result) {
  const t = result.totals;
  renderPeriodLabel(result);
  const totals = $("#totals");
  totals.dataset.costMicros = String(t.costMicros);
  totals.dataset.requests = String(t.requests);
  setTotal("spend", fmtUsd(t.costMicros), `${exactUsd(t.costMicros)} USD`);
  setTotal("spend-sub", t.requests ? `${fmtUsd(Math.round(t.costMicros / t.requests))} per request` : "");
  setTotal("requests", fmtCompact(t.requests), fmtCount(t.requests));
  setTotal("requests-sub", t.unpriced ? `${fmtCount(t.unpriced)} without a known price` : "all priced");
  setTotal("errors", fmtCompact(t.errors), fmtCount(t.errors));
  setTotal("errors-sub", t.requests ? `${fmtPct(pct(t.errors, t.requests))} of requests` : "");
  setTotal("input", fmtCompact(t.inputTokens), fmtCount(t.inputTokens));
  setTotal("input-sub", t.requests ? `${fmtCount(Math.round(t.inputTokens / t.requests))} per request` : "");
  setTotal("output", fmtCompact(t.outputTokens), fmtCount(t.outputTokens));
  setTotal(
    "output-sub",
    t.requests ? `${fmtCount(Math.round(t.outputTokens / t.requests))} per request` : "",
  );
  const note = $("#unpriced-note");
  note.hidden = t.unpriced === 0;
  note.textContent = t.unpriced
    ? `${fmtCount(t.unpriced)} ${t.unpriced === 1 ? "call has" : "calls have"} no known price and ${t.unpriced === 1 ? "is" : "are"} not in the spend (add a price override).`
    : "";
  $("#empty-period").hidden = t.requests > 0 || state.period === "all";
}

// ---------------------------------------------------------------------------------------------- spend over time

let spendChart;

function noChartLibrary(box) {
  box.replaceChildren(
    h("div", { class: "chart-missing" }, "Chart library not available (chart.js not installed)."),
  );
}

function bucketLabel(iso, size) {
  const d = new Date(iso);
  return size === "hour" ? hourFormat.format(d) : dayFormat.format(d);
}

function renderSpend(result) {
  for (const b of document.querySelectorAll("#bucket button")) {
    b.setAttribute("aria-pressed", String(b.dataset.bucket === result.bucket));
  }
  const box = $(".chart-box");
  if (!window.Chart) return noChartLibrary(box);
  const labels = result.buckets.map((b) => bucketLabel(b, result.bucket));
  const datasets = result.series.map((s, i) => ({
    label: s.other ? "other use cases" : (s.useCase ?? "(no use case)"),
    data: s.costMicros.map((m) => m / 1e6),
    requests: s.requests,
    backgroundColor: s.other ? "#c9ced6" : PALETTE[i % PALETTE.length],
    borderWidth: 0,
    borderRadius: 2,
    maxBarThickness: 48,
  }));
  $("#spend-note").textContent =
    `UTC ${result.bucket === "hour" ? "hours" : "days"}, stacked by use case` +
    (result.series.some((s) => s.other) ? " (the most expensive; the rest as “other”)." : ".");
  if (spendChart) spendChart.destroy();
  spendChart = new window.Chart($("#spend-chart"), {
    type: "bar",
    data: { labels, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: {
          stacked: true,
          beginAtZero: true,
          grid: { color: "#eef0f4" },
          ticks: { callback: (v) => `$${v.toLocaleString("en-US", { maximumFractionDigits: 6 })}` },
        },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true } },
        tooltip: {
          filter: (item) => item.raw > 0,
          callbacks: {
            label: (item) =>
              ` ${item.dataset.label}: ${fmtUsd(item.raw * 1e6, 6)} · ${fmtCount(item.dataset.requests[item.dataIndex])} requests`,
            footer: (items) => {
              const total = items.reduce((s, i) => s + i.raw, 0);
              return `Total ${fmtUsd(total * 1e6, 6)}`;
            },
          },
        },
      },
    },
  });
}

// ---------------------------------------------------------------------------------------------- cost drivers

const COLUMNS = [
  { id: "key", label: null, numeric: false },
  { id: "useCaseName", label: "Use case", numeric: false, only: "instances" },
  { id: "requests", label: "Requests", numeric: true },
  { id: "errors", label: "Errors", numeric: true },
  { id: "inputTokens", label: "Input tokens", numeric: true },
  { id: "outputTokens", label: "Output tokens", numeric: true },
  { id: "costMicros", label: "Spend (USD)", numeric: true },
  { id: "share", label: "Share of spend", numeric: true, sortAs: "costMicros" },
];

let lastReport;

function renderTabs() {
  const tabs = $("#tabs");
  if (!tabs.childElementCount) {
    for (const tab of TABS) {
      tabs.append(
        h(
          "button",
          {
            type: "button",
            role: "tab",
            id: `tab-${tab.id}`,
            "aria-controls": "drivers-panel",
            dataset: { tab: tab.id },
            onclick: () => selectTab(tab.id),
          },
          tab.label,
        ),
      );
    }
  }
  for (const button of tabs.children) {
    const selected = button.dataset.tab === state.tab;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
  }
  $("#drivers-panel").setAttribute("aria-labelledby", `tab-${state.tab}`);
}

function selectTab(id) {
  if (state.tab === id) return;
  state.tab = id;
  state.sort = { column: "costMicros", dir: "desc" };
  writeHash();
  renderTabs();
  loadDrivers().catch(showError);
}

function sortedRows(rows) {
  const { column, dir } = state.sort;
  const sign = dir === "asc" ? 1 : -1;
  // Stable: ties keep the server's order (cost, then requests, then key).
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const x = a.row[column];
      const y = b.row[column];
      if (x === y) return a.index - b.index;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const c = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
      return c * sign || a.index - b.index;
    })
    .map((r) => r.row);
}

function sortBy(column) {
  if (state.sort.column === column) state.sort.dir = state.sort.dir === "asc" ? "desc" : "asc";
  else state.sort = { column, dir: column === "key" || column === "useCaseName" ? "asc" : "desc" };
  if (lastReport) renderDrivers(lastReport);
}

function keyCell(tab, row) {
  if (row.key === null) return h("td", { class: "key" }, h("span", { class: "none" }, tab.none));
  if (tab.drill) {
    return h(
      "td",
      { class: "key" },
      h(
        "button",
        {
          type: "button",
          class: "link",
          title: `Open instance ${row.key}`,
          onclick: () => openInstance(row.key),
        },
        row.key,
      ),
    );
  }
  return h("td", { class: "key", title: row.key }, row.key);
}

function numberCells(row, decimals, maxCost, totalCost) {
  const share = pct(row.costMicros, totalCost);
  return [
    h("td", { class: "num" }, fmtCount(row.requests)),
    h("td", { class: row.errors ? "num err-count" : "num" }, fmtCount(row.errors)),
    h("td", { class: "num" }, fmtCount(row.inputTokens)),
    h("td", { class: "num" }, fmtCount(row.outputTokens)),
    h("td", { class: "num", title: `${exactUsd(row.costMicros)} USD` }, fmtUsd(row.costMicros, decimals)),
    h(
      "td",
      { class: "num" },
      h(
        "div",
        { class: "share" },
        h("div", { class: "bar", "aria-hidden": "true" }, barFill(pct(row.costMicros, maxCost))),
        h("span", { class: "share-pct" }, fmtPct(share)),
      ),
    ),
  ];
}

function barFill(percent) {
  const fill = h("span");
  // CSSOM, not a style attribute: allowed by the page's Content-Security-Policy.
  fill.style.width = `${Math.max(0, Math.min(100, percent))}%`;
  return fill;
}

function renderDrivers(result) {
  lastReport = result;
  const tab = TABS.find((t) => t.by === result.by) ?? TABS[0];
  const columns = COLUMNS.filter((c) => !c.only || c.only === tab.id);
  const maxCost = Math.max(0, ...result.rows.map((r) => r.costMicros));
  const decimals = decimalsFor(Math.max(maxCost, result.totals.costMicros));
  const table = $("#drivers-table");
  table.dataset.by = result.by;

  const head = h(
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
  const body = sortedRows(result.rows).map((row) =>
    h(
      "tr",
      {
        dataset: {
          key: row.key ?? "",
          none: row.key === null ? "true" : undefined,
          requests: String(row.requests),
          costMicros: String(row.costMicros),
        },
      },
      keyCell(tab, row),
      tab.id === "instances"
        ? h("td", null, row.useCaseName ?? h("span", { class: "none" }, "(none)"))
        : null,
      numberCells(row, decimals, maxCost, result.totals.costMicros),
    ),
  );
  const t = result.totals;
  const foot = h(
    "tr",
    { dataset: { requests: String(t.requests), costMicros: String(t.costMicros) } },
    h("td", null, "Total"),
    tab.id === "instances" ? h("td") : null,
    h("td", { class: "num" }, fmtCount(t.requests)),
    h("td", { class: t.errors ? "num err-count" : "num" }, fmtCount(t.errors)),
    h("td", { class: "num" }, fmtCount(t.inputTokens)),
    h("td", { class: "num" }, fmtCount(t.outputTokens)),
    h("td", { class: "num", title: `${exactUsd(t.costMicros)} USD` }, fmtUsd(t.costMicros, decimals)),
    h("td"),
  );
  const empty = result.rows.length
    ? null
    : h("tr", null, h("td", { colspan: columns.length, class: "placeholder" }, "No calls in this period."));
  table.replaceChildren(h("thead", null, head), h("tbody", null, body, empty), h("tfoot", null, foot));

  const notes = [];
  if (result.groupCount > result.rows.length) {
    notes.push(
      `Showing the ${fmtCount(result.rows.length)} most expensive of ${fmtCount(result.groupCount)} ${tab.label.toLowerCase()}; sorting reorders these.`,
    );
  }
  if (tab.note) notes.push(tab.note);
  if (tab.drill && result.rows.length) notes.push("Click an instance to see its calls.");
  $("#drivers-note").textContent = notes.join(" ");
  const count = $(`#tab-${tab.id}`);
  count.querySelector(".tab-count")?.remove();
  count.append(h("span", { class: "tab-count" }, fmtCompact(result.groupCount)));
}

let driversRequest = 0;

async function loadDrivers() {
  const tab = TABS.find((t) => t.id === state.tab);
  const wrap = $("#drivers-panel");
  const mine = ++driversRequest;
  wrap.setAttribute("aria-busy", "true");
  try {
    const result = await api("/api/report", { by: tab.by, limit: ROW_LIMIT, ...loadedParams });
    if (mine === driversRequest) renderDrivers(result);
  } finally {
    if (mine === driversRequest) wrap.setAttribute("aria-busy", "false");
  }
}

// ---------------------------------------------------------------------------------------------- limits

function renderLimits(result) {
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
  const order = { exceeded: 0, alert: 1, ok: 2 };
  const limits = [...result.limits].sort(
    (a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3) || b.pct - a.pct,
  );
  box.replaceChildren(
    h(
      "div",
      { class: "limits-list" },
      limits.map((l) => {
        const scope = Object.entries(l.scope ?? {})
          .filter(([, v]) => v)
          .map(
            ([k, v]) => `${{ userId: "user", accountName: "account", useCaseName: "use case" }[k] ?? k} ${v}`,
          );
        const usd = (n) => fmtUsd(Math.round(n * 1e6), n >= 10 ? 2 : 4);
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
            `${scope.length ? scope.join(", ") : "everything"} · ${l.window === "total" ? "all time" : `per ${l.window}`} · ${l.mode === "block" ? "blocks calls" : "alerts only"}`,
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
      }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------- instance drill-down

let timelineChart;

function miniTable(caption, rows, keyLabel, none) {
  const maxCost = Math.max(0, ...rows.map((r) => r.costMicros));
  const decimals = decimalsFor(maxCost);
  const total = rows.reduce((s, r) => s + r.costMicros, 0);
  const head = h(
    "tr",
    null,
    h("th", null, keyLabel),
    h("th", { class: "num" }, "Calls"),
    h("th", { class: "num" }, "Tokens in / out"),
    h("th", { class: "num" }, "Spend"),
  );
  const body = rows.map((r) =>
    h(
      "tr",
      { dataset: { key: r.key ?? "" } },
      h("td", { class: "key", title: r.key ?? none }, r.key ?? h("span", { class: "none" }, none)),
      h("td", { class: "num" }, fmtCount(r.requests)),
      h("td", { class: "num" }, `${fmtCount(r.inputTokens)} / ${fmtCount(r.outputTokens)}`),
      h(
        "td",
        { class: "num", title: `${exactUsd(r.costMicros)} USD · ${fmtPct(pct(r.costMicros, total))}` },
        fmtUsd(r.costMicros, decimals),
      ),
    ),
  );
  return h(
    "section",
    { class: "panel" },
    h("h3", null, caption),
    h(
      "div",
      { class: "table-wrap" },
      h("table", { class: "data" }, h("thead", null, head), h("tbody", null, body)),
    ),
  );
}

function callsTable(detail) {
  const first = Date.parse(detail.calls[0]?.ts ?? detail.firstEventAt);
  const maxCost = Math.max(0, ...detail.calls.map((c) => c.costMicros ?? 0));
  const decimals = decimalsFor(maxCost);
  return h(
    "section",
    { class: "panel" },
    h(
      "h3",
      null,
      `Calls${detail.truncated ? ` (first ${fmtCount(detail.calls.length)} of ${fmtCount(detail.totals.requests)})` : ""}`,
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", id: "instance-calls" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["#", "Time", "Step", "Model", "Status"].map((l) => h("th", null, l)),
            ["Duration", "Input", "Output", "Spend"].map((l) => h("th", { class: "num" }, l)),
          ),
        ),
        h(
          "tbody",
          null,
          detail.calls.map((c, i) =>
            h(
              "tr",
              { dataset: { eventId: c.id } },
              h("td", { class: "muted" }, String(i + 1)),
              h(
                "td",
                { title: c.ts },
                i === 0 ? dateTime.format(new Date(c.ts)) : `+${fmtDuration(Date.parse(c.ts) - first)}`,
              ),
              h("td", null, c.annotations.useCaseStep ?? h("span", { class: "none" }, "—")),
              h("td", { title: `${c.provider} ${c.operation}` }, c.responseModel ?? c.requestModel),
              h("td", null, h("span", { class: `badge ${c.status === "ok" ? "ok" : c.status}` }, c.status)),
              h("td", { class: "num" }, fmtDuration(c.durationMs)),
              h("td", { class: "num" }, fmtCount(c.usage.inputTokens)),
              h("td", { class: "num" }, fmtCount(c.usage.outputTokens)),
              h(
                "td",
                {
                  class: "num",
                  title: c.costMicros === null ? "no known price" : `${exactUsd(c.costMicros)} USD`,
                },
                c.costMicros === null ? "unpriced" : fmtUsd(c.costMicros, decimals),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** Calls over time as a waterfall: one bar per call from its start to its end, coloured by step. */
function renderTimeline(detail, box) {
  if (!window.Chart) return noChartLibrary(box);
  const calls = detail.calls.slice(0, 60);
  const t0 = Date.parse(calls[0].ts);
  const steps = [...new Set(calls.map((c) => c.annotations.useCaseStep ?? "(no step)"))];
  const colour = (c) => PALETTE[steps.indexOf(c.annotations.useCaseStep ?? "(no step)") % PALETTE.length];
  const span = Math.max(...calls.map((c) => Date.parse(c.ts) - t0 + c.durationMs));
  const unit = span >= 120_000 ? { ms: 60_000, label: "minutes" } : { ms: 1_000, label: "seconds" };
  const canvas = h("canvas", { role: "img", "aria-label": "Calls over time" });
  box.replaceChildren(canvas);
  // One row per call, at a readable height.
  box.style.height = `${Math.max(140, 40 + calls.length * 22)}px`;
  if (timelineChart) timelineChart.destroy();
  timelineChart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: calls.map((c, i) => `#${i + 1} ${c.responseModel ?? c.requestModel}`),
      datasets: [
        {
          label: "call",
          data: calls.map((c) => {
            const start = (Date.parse(c.ts) - t0) / unit.ms;
            return [start, start + Math.max(c.durationMs / unit.ms, span / unit.ms / 400)];
          }),
          backgroundColor: calls.map(colour),
          borderRadius: 3,
          borderSkipped: false,
          barPercentage: 0.8,
          categoryPercentage: 0.9,
        },
      ],
    },
    options: {
      indexAxis: "y",
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: {
          beginAtZero: true,
          title: { display: true, text: `${unit.label} since the first call` },
          grid: { color: "#eef0f4" },
        },
        y: { grid: { display: false }, ticks: { font: { size: 11 } } },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) => {
              const c = calls[item.dataIndex];
              const cost = c.costMicros === null ? "unpriced" : fmtUsd(c.costMicros, 6);
              return ` ${c.annotations.useCaseStep ?? "(no step)"} · ${fmtDuration(c.durationMs)} · ${fmtCount(c.usage.inputTokens)}→${fmtCount(c.usage.outputTokens)} tokens · ${cost} · ${c.status}`;
            },
          },
        },
      },
    },
  });
  if (steps.length > 1) {
    const swatch = (i) => {
      const el = h("span", { class: "swatch", "aria-hidden": "true" });
      el.style.background = PALETTE[i % PALETTE.length];
      return el;
    };
    box.after(
      h(
        "ul",
        { class: "legend", "aria-label": "Steps" },
        steps.map((s, i) => h("li", null, swatch(i), s)),
      ),
    );
  }
}

function renderInstance(detail) {
  $("#instance-use-case").textContent = detail.useCaseName ? `Instance of ${detail.useCaseName}` : "Instance";
  $("#instance-title").textContent = detail.id;
  const meta = [];
  if (detail.users.length) meta.push(`user ${detail.users.join(", ")}`);
  if (detail.accounts.length) meta.push(`account ${detail.accounts.join(", ")}`);
  meta.push(
    `${dateTime.format(new Date(detail.firstEventAt))} → ${dateTime.format(new Date(detail.lastEventAt))}`,
  );
  $("#instance-meta").textContent = meta.join(" · ");
  const t = detail.totals;
  const decimals = decimalsFor(t.costMicros);
  const card = (label, value, title, sub) =>
    h(
      "div",
      { class: "card" },
      h("div", { class: "card-label" }, label),
      h("div", { class: "card-value", title }, value),
      h("div", { class: "card-sub" }, sub ?? ""),
    );
  const timeline = h("div", { class: "chart-box timeline-box" });
  $("#instance-body").replaceChildren(
    h(
      "div",
      {
        class: "cards",
        id: "instance-totals",
        dataset: { costMicros: String(t.costMicros), requests: String(t.requests) },
      },
      h(
        "div",
        { class: "card card-primary" },
        h("div", { class: "card-label" }, "Spend"),
        h(
          "div",
          { class: "card-value", title: `${exactUsd(t.costMicros)} USD` },
          fmtUsd(t.costMicros, decimals),
        ),
        h("div", { class: "card-sub" }, t.unpriced ? `${fmtCount(t.unpriced)} unpriced` : "all priced"),
      ),
      card(
        "Calls",
        fmtCount(t.requests),
        undefined,
        `${fmtCount(detail.steps.length)} step${detail.steps.length === 1 ? "" : "s"}`,
      ),
      card("Errors", fmtCount(t.errors), undefined, t.requests ? `${fmtPct(pct(t.errors, t.requests))}` : ""),
      card("Tokens in / out", `${fmtCompact(t.inputTokens)} / ${fmtCompact(t.outputTokens)}`),
      card(
        "Elapsed",
        fmtDuration(Date.parse(detail.lastEventAt) - Date.parse(detail.firstEventAt)),
        undefined,
        "first to last call",
      ),
    ),
    h(
      "section",
      { class: "panel" },
      h("h3", null, `Calls over time${detail.calls.length > 60 ? " (first 60)" : ""}`),
      timeline,
    ),
    h(
      "div",
      { class: "two-col" },
      miniTable("Steps", detail.steps, "Step", "(no step)"),
      miniTable("Models", detail.models, "Model", "(none)"),
    ),
    callsTable(detail),
  );
  renderTimeline(detail, timeline);
}

async function openInstance(id) {
  state.instance = id;
  writeHash();
  const dialog = $("#instance-dialog");
  $("#instance-title").textContent = id;
  $("#instance-use-case").textContent = "Instance";
  $("#instance-meta").textContent = "Loading…";
  $("#instance-body").replaceChildren();
  if (!dialog.open) dialog.showModal();
  try {
    const detail = await api(`/api/instance/${encodeURIComponent(id)}`);
    if (state.instance === id) renderInstance(detail);
  } catch (error) {
    $("#instance-meta").textContent = "";
    $("#instance-body").replaceChildren(h("div", { class: "banner" }, error.message));
  }
}

function closeInstance() {
  state.instance = "";
  writeHash();
}

// ---------------------------------------------------------------------------------------------- loading

async function loadUseCaseOptions(params) {
  const { useCase: _ignored, ...period } = params;
  const result = await api("/api/report", { by: "use-case", ...period });
  const select = $("#use-case-filter");
  const names = result.rows.map((r) => r.key).filter((k) => k !== null);
  if (state.useCase && !names.includes(state.useCase)) names.unshift(state.useCase);
  select.replaceChildren(
    h("option", { value: "" }, "All use cases"),
    names.map((name) => h("option", { value: name }, name)),
  );
  select.value = state.useCase;
}

function renderControls() {
  for (const b of document.querySelectorAll("#period button")) {
    b.setAttribute("aria-pressed", String(b.dataset.period === state.period));
  }
  const form = $("#custom-range");
  form.hidden = state.period !== "custom";
  if (state.period === "custom") {
    form.elements.since.value = state.since;
    form.elements.until.value = state.until;
  }
  renderTabs();
}

let loading = 0;

async function loadAll() {
  const mine = ++loading;
  const params = periodParams();
  loadedParams = params;
  renderControls();
  const tasks = [
    api("/api/totals", params).then((r) => mine === loading && renderTotals(r)),
    api("/api/timeseries", { ...params, bucket: bucket() }).then((r) => mine === loading && renderSpend(r)),
    loadDrivers(),
    api("/api/limits").then((r) => mine === loading && renderLimits(r)),
  ];
  const results = await Promise.allSettled(tasks);
  // The filter's choices last: on a large ledger the panels should not wait for them.
  results.push(...(await Promise.allSettled([loadUseCaseOptions(params)])));
  if (mine !== loading) return;
  const failed = results.find((r) => r.status === "rejected");
  showError(failed ? failed.reason : null);
  document.body.dataset.loaded = "true";
}

function setPeriod(period) {
  if (period === "custom") {
    state.period = "custom";
    if (!state.since || !state.until) {
      const today = new Date().toISOString().slice(0, 10);
      state.since = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
      state.until = today;
    }
    renderControls();
    $("#custom-range").elements.since.focus();
    return;
  }
  state.period = period;
  writeHash();
  loadAll();
}

function wire() {
  for (const b of document.querySelectorAll("[data-period]")) {
    b.addEventListener("click", () => setPeriod(b.dataset.period));
  }
  $("#custom-range").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const since = form.elements.since.value;
    const until = form.elements.until.value;
    if (!since || !until) return;
    state.period = "custom";
    [state.since, state.until] = since <= until ? [since, until] : [until, since];
    writeHash();
    loadAll();
  });
  for (const b of document.querySelectorAll("#bucket button")) {
    b.addEventListener("click", () => {
      state.bucket = b.dataset.bucket;
      writeHash();
      api("/api/timeseries", { ...loadedParams, bucket: bucket() })
        .then(renderSpend)
        .catch(showError);
    });
  }
  $("#use-case-filter").addEventListener("change", (event) => {
    state.useCase = event.currentTarget.value;
    writeHash();
    loadAll();
  });
  $("#refresh").addEventListener("click", () => loadAll());
  $("#instance-close").addEventListener("click", () => $("#instance-dialog").close());
  $("#instance-dialog").addEventListener("close", closeInstance);
  // A click on the backdrop (outside the drawer) closes it.
  $("#instance-dialog").addEventListener("click", (event) => {
    if (event.target === event.currentTarget) event.currentTarget.close();
  });
  $("#tabs").addEventListener("keydown", (event) => {
    const i = TABS.findIndex((t) => t.id === state.tab);
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = TABS[(i + step + TABS.length) % TABS.length];
    selectTab(next.id);
    $(`#tab-${next.id}`).focus();
  });
}

readHash();
wire();
loadAll();
if (state.instance) openInstance(state.instance);
