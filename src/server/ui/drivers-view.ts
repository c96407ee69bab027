// Cost drivers: the tabs (Users, Use cases, Instances, Accounts, Models, Tags) over one table each.
import { api } from "./api-client.js";
import { $, h, showError } from "./dom.js";
import { renderDrivers, resetSort } from "./drivers-table.js";
import { openInstance } from "./instance-view.js";
import { currentTab, loaded, state, TABS, writeHash } from "./state.js";

/** Rows a table asks for; the rest are counted in the note (groupCount). */
const ROW_LIMIT = 500;

export function renderTabs(): void {
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
    if (!(button instanceof HTMLElement)) continue;
    const selected = button.dataset.tab === state.tab;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
  }
  $("#drivers-panel").setAttribute("aria-labelledby", `tab-${state.tab}`);
}

function selectTab(id: string): void {
  if (state.tab === id) return;
  state.tab = id;
  resetSort();
  writeHash();
  renderTabs();
  loadDrivers().catch(showError);
}

let driversRequest = 0;

/** The current tab's table over the loaded period; a later call wins over an earlier one still in flight. */
export async function loadDrivers(): Promise<void> {
  const tab = currentTab();
  const wrap = $("#drivers-panel");
  const mine = ++driversRequest;
  wrap.setAttribute("aria-busy", "true");
  try {
    const result = await api("/api/report", { by: tab.by, limit: ROW_LIMIT, ...loaded.params });
    if (mine === driversRequest) renderDrivers(result, { openInstance });
  } finally {
    if (mine === driversRequest) wrap.setAttribute("aria-busy", "false");
  }
}

/** Left and right arrows move between tabs. */
export function wireTabKeys(): void {
  $("#tabs").addEventListener("keydown", (event) => {
    const i = TABS.findIndex((t) => t.id === state.tab);
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = TABS[(i + step + TABS.length) % TABS.length]!;
    selectTab(next.id);
    $(`#tab-${next.id}`).focus();
  });
}
