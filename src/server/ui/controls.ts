// The top bar: period buttons, the custom range, the use-case filter, refresh; and the chart's bucket toggle.
import type { PeriodParams } from "../api-types.js";
import { api } from "./api-client.js";
import { $, $$, h } from "./dom.js";
import { renderTabs } from "./drivers-view.js";
import { PERIODS, type Period, state, writeHash } from "./state.js";

export interface ControlActions {
  /** Reload every panel (the period or the filter changed). */
  reload(): void;
  /** Reload only the chart (the bucket changed). */
  reloadSpend(): void;
}

interface RangeForm extends HTMLFormElement {
  readonly elements: HTMLFormControlsCollection & { since: HTMLInputElement; until: HTMLInputElement };
}

const rangeForm = () => $<RangeForm>("#custom-range");

export function renderControls(): void {
  for (const b of $$("#period button")) {
    b.setAttribute("aria-pressed", String(b.dataset.period === state.period));
  }
  const form = rangeForm();
  form.hidden = state.period !== "custom";
  if (state.period === "custom") {
    form.elements.since.value = state.since;
    form.elements.until.value = state.until;
  }
  renderTabs();
}

/** The filter's choices: the period's use cases (whatever the filter), the chosen one kept even when absent. */
export async function loadUseCaseOptions(params: PeriodParams): Promise<void> {
  const { useCase: _ignored, ...period } = params;
  const result = await api("/api/report", { by: "use-case", ...period });
  const select = $<HTMLSelectElement>("#use-case-filter");
  const names = result.rows.map((r) => r.key).filter((k): k is string => k !== null);
  if (state.useCase && !names.includes(state.useCase)) names.unshift(state.useCase);
  select.replaceChildren(
    h("option", { value: "" }, "All use cases"),
    ...names.map((name) => h("option", { value: name }, name)),
  );
  select.value = state.useCase;
}

function setPeriod(period: Period, actions: ControlActions): void {
  if (period === "custom") {
    state.period = "custom";
    if (!state.since || !state.until) {
      state.since = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
      state.until = new Date().toISOString().slice(0, 10);
    }
    renderControls();
    rangeForm().elements.since.focus();
    return;
  }
  state.period = period;
  writeHash();
  actions.reload();
}

export function wireControls(actions: ControlActions): void {
  for (const b of $$("[data-period]")) {
    b.addEventListener("click", () => {
      const period = b.dataset.period;
      if (period && Object.hasOwn(PERIODS, period)) setPeriod(period as Period, actions);
    });
  }
  rangeForm().addEventListener("submit", (event) => {
    event.preventDefault();
    const since = rangeForm().elements.since.value;
    const until = rangeForm().elements.until.value;
    if (!since || !until) return;
    state.period = "custom";
    [state.since, state.until] = since <= until ? [since, until] : [until, since];
    writeHash();
    actions.reload();
  });
  for (const b of $$("#bucket button")) {
    b.addEventListener("click", () => {
      const size = b.dataset.bucket;
      if (size !== "day" && size !== "hour") return;
      state.bucket = size;
      writeHash();
      actions.reloadSpend();
    });
  }
  const filter = $<HTMLSelectElement>("#use-case-filter");
  filter.addEventListener("change", () => {
    state.useCase = filter.value;
    writeHash();
    actions.reload();
  });
  $("#refresh").addEventListener("click", () => actions.reload());
}
