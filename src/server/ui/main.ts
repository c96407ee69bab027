// The dashboard page's entry (bundled by scripts/build-dashboard.mjs into app.js): read the view from the URL,
// wire the controls, load every panel from the JSON API.
import { api } from "./api-client.js";
import { renderBurnRate } from "./burn-rate-view.js";
import { loadUseCaseOptions, renderControls, wireControls } from "./controls.js";
import { renderCoverage } from "./coverage-view.js";
import { showError } from "./dom.js";
import { loadDrivers, wireTabKeys } from "./drivers-view.js";
import { openInstance, wireInstanceDialog } from "./instance-view.js";
import { renderKpis } from "./kpis-view.js";
import { renderLimits } from "./limits-view.js";
import { renderSpend } from "./spend-chart-view.js";
import { bucket, loaded, periodParams, readHash, state } from "./state.js";
import { renderTotals } from "./totals-view.js";

let loading = 0;

/** Every panel over the current period; a newer load discards what an older one answers late. */
async function loadAll(): Promise<void> {
  const mine = ++loading;
  const params = periodParams();
  loaded.params = params;
  renderControls();
  const current = () => mine === loading;
  // One forecast for two panels: a line on each limit card (a failed forecast still shows the limits) and the
  // burn rate per use case under the chart. Like the limits, it is the current rate, whatever the period.
  const forecast = api("/api/forecast", {});
  const tasks = [
    api("/api/totals", params).then((r) => current() && renderTotals(r)),
    api("/api/timeseries", { ...params, bucket: bucket() }).then((r) => current() && renderSpend(r)),
    loadDrivers(),
    Promise.all([api("/api/limits", {}), forecast.catch(() => undefined)]).then(
      ([limits, f]) => current() && renderLimits(limits, f),
    ),
    forecast.then((f) => current() && renderBurnRate(f, state.useCase)),
    Promise.all([api("/api/kpis", params), api("/api/kpis", { ...params, by: "version" })]).then(
      ([overall, byVersion]) => current() && renderKpis(overall, byVersion),
    ),
    api("/api/reconciliations", {}).then((r) => current() && renderCoverage(r)),
  ];
  const results: PromiseSettledResult<unknown>[] = await Promise.allSettled(tasks);
  // The filter's choices last: on a large ledger the panels should not wait for them.
  results.push(...(await Promise.allSettled([loadUseCaseOptions(params)])));
  if (!current()) return;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  showError(failed ? failed.reason : null);
  document.body.dataset.loaded = "true";
}

function reloadSpend(): void {
  api("/api/timeseries", { ...loaded.params, bucket: bucket() })
    .then(renderSpend)
    .catch(showError);
}

readHash();
wireControls({ reload: () => void loadAll(), reloadSpend });
wireTabKeys();
wireInstanceDialog();
void loadAll();
if (state.instance) void openInstance(state.instance);
