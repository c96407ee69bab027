// The JSON API's contract: what each endpoint answers and which query parameters it takes, as types only.
// The page (src/server/ui) imports these with `import type`, so the UI and the API cannot drift apart.

import type { ForecastResult, LimitForecast } from "../kpis/forecast.js";
import type { KpiGroupBy } from "../kpis/ledger-queries.js";
import type { KpiReportResult, KpiReportRow, KpiUseCaseRow } from "../kpis/report.js";
import type { InstanceDetail, SpendOverTimeResult, TotalsResult } from "../ledger/dashboard-queries.js";
import type { FxRate, LocalReport } from "../ledger/fx-rates.js";
import type { ReportBy, ReportResult } from "../ledger/queries.js";
import type { LimitStatus } from "../limits/status.js";
import type { CoverageDay, ReconciliationsResult } from "../reconcile/coverage.js";

export type { ReportRow } from "../ledger/queries.js";
export type { UsageEvent } from "../types.js";
export type {
  CoverageDay,
  ForecastResult,
  FxRate,
  InstanceDetail,
  KpiReportResult,
  KpiReportRow,
  KpiUseCaseRow,
  LimitForecast,
  LimitStatus,
  LocalReport,
  ReconciliationsResult,
  ReportBy,
  ReportResult,
  SpendOverTimeResult,
  TotalsResult,
};

/** `GET /api/limits`. */
export interface LimitsResult {
  limits: LimitStatus[];
}

/** The period filter every aggregate endpoint takes; relative (`7d`) or ISO bounds. */
export interface PeriodParams {
  since?: string;
  until?: string;
  useCase?: string;
}

/** Endpoint (path without its `/<id>` tail) → its query parameters and its answer. */
export interface ApiEndpoints {
  "/api/report": {
    /** `currency`: also in that currency at its stored rate; the answer is then a LocalReport. */
    params: PeriodParams & { by: ReportBy; limit?: number; order?: "cost" | "key"; currency?: string };
    result: ReportResult | LocalReport;
  };
  "/api/totals": { params: PeriodParams; result: TotalsResult };
  "/api/timeseries": {
    params: PeriodParams & { bucket?: SpendOverTimeResult["bucket"]; series?: number };
    result: SpendOverTimeResult;
  };
  "/api/instance": { params: { limit?: number }; result: InstanceDetail };
  "/api/limits": { params: Record<string, never>; result: LimitsResult };
  "/api/kpis": { params: PeriodParams & { by?: KpiGroupBy }; result: KpiReportResult };
  "/api/forecast": { params: { useCase?: string }; result: ForecastResult };
  "/api/reconciliations": { params: Record<string, never>; result: ReconciliationsResult };
  "/api/fx": { params: Record<string, never>; result: { rates: FxRate[] } };
}

/** The JSON body of every error answer (400, 401, 403, 404, 405, 500). */
export interface ApiErrorBody {
  error: string;
}
