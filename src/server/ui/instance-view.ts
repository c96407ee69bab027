// The instance drill-down: a drawer with one use-case instance's totals, timeline, steps, models and calls.
// Its id is in the URL (`#…&instance=<id>`), so a link opens it directly.
import type { InstanceDetail } from "../api-types.js";
import { api } from "./api-client.js";
import { $, h } from "./dom.js";
import {
  dateTime,
  decimalsFor,
  exactUsd,
  fmtCompact,
  fmtCount,
  fmtDuration,
  fmtPct,
  fmtUsd,
  pct,
} from "./format.js";
import { callsTable, miniTable } from "./instance-tables.js";
import { renderTimeline, TIMELINE_CALLS } from "./instance-timeline.js";
import { state, writeHash } from "./state.js";

const card = (label: string, value: string, title?: string, sub?: string) =>
  h(
    "div",
    { class: "card" },
    h("div", { class: "card-label" }, label),
    h("div", { class: "card-value", title }, value),
    h("div", { class: "card-sub" }, sub ?? ""),
  );

function totalsCards(detail: InstanceDetail): HTMLElement {
  const t = detail.totals;
  const steps = detail.steps.length;
  return h(
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
        fmtUsd(t.costMicros, decimalsFor(t.costMicros)),
      ),
      h("div", { class: "card-sub" }, t.unpriced ? `${fmtCount(t.unpriced)} unpriced` : "all priced"),
    ),
    card("Calls", fmtCount(t.requests), undefined, `${fmtCount(steps)} step${steps === 1 ? "" : "s"}`),
    card("Errors", fmtCount(t.errors), undefined, t.requests ? `${fmtPct(pct(t.errors, t.requests))}` : ""),
    card("Tokens in / out", `${fmtCompact(t.inputTokens)} / ${fmtCompact(t.outputTokens)}`),
    card(
      "Elapsed",
      fmtDuration(Date.parse(detail.lastEventAt) - Date.parse(detail.firstEventAt)),
      undefined,
      "first to last call",
    ),
  );
}

function renderInstance(detail: InstanceDetail): void {
  $("#instance-use-case").textContent = detail.useCaseName ? `Instance of ${detail.useCaseName}` : "Instance";
  $("#instance-title").textContent = detail.id;
  const meta: string[] = [];
  if (detail.users.length) meta.push(`user ${detail.users.join(", ")}`);
  if (detail.accounts.length) meta.push(`account ${detail.accounts.join(", ")}`);
  meta.push(
    `${dateTime.format(new Date(detail.firstEventAt))} → ${dateTime.format(new Date(detail.lastEventAt))}`,
  );
  $("#instance-meta").textContent = meta.join(" · ");
  const timeline = h("div", { class: "chart-box timeline-box" });
  $("#instance-body").replaceChildren(
    totalsCards(detail),
    h(
      "section",
      { class: "panel" },
      h(
        "h3",
        null,
        `Calls over time${detail.calls.length > TIMELINE_CALLS ? ` (first ${TIMELINE_CALLS})` : ""}`,
      ),
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

export async function openInstance(id: string): Promise<void> {
  state.instance = id;
  writeHash();
  const dialog = $<HTMLDialogElement>("#instance-dialog");
  $("#instance-title").textContent = id;
  $("#instance-use-case").textContent = "Instance";
  $("#instance-meta").textContent = "Loading…";
  $("#instance-body").replaceChildren();
  if (!dialog.open) dialog.showModal();
  try {
    const detail = await api("/api/instance", {}, id);
    if (state.instance === id) renderInstance(detail);
  } catch (error) {
    $("#instance-meta").textContent = "";
    $("#instance-body").replaceChildren(
      h("div", { class: "banner" }, error instanceof Error ? error.message : String(error)),
    );
  }
}

/** The close button, Escape and a click on the backdrop close the drawer and take its id out of the URL. */
export function wireInstanceDialog(): void {
  const dialog = $<HTMLDialogElement>("#instance-dialog");
  $("#instance-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    state.instance = "";
    writeHash();
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
}
