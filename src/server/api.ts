// The dashboard's JSON API: thin handlers over the ledger query layer (the same functions the CLI uses).
// Query parameters are checked here for shape (known names, given once) and by the query layer's schemas for
// values; both answer 400 with a message naming the parameter. Nothing from SQLite reaches a response.
import type { Database } from "better-sqlite3";
import { forecast } from "../kpis/forecast.js";
import { kpiReport } from "../kpis/report.js";
import {
  instanceDetail,
  parseInstanceOptions,
  parsePeriodOptions,
  parseSpendOverTimeOptions,
  periodTotals,
  spendOverTime,
} from "../ledger/dashboard-queries.js";
import { FxRateMissingError, inCurrency, listFxRates } from "../ledger/fx-rates.js";
import { parseReportOptions, ReportOptionsError, report } from "../ledger/queries.js";
import { limitStatuses } from "../limits/index.js";
import { currencyCodeSchema } from "../pricing/fx.js";
import { coverageByDay } from "../reconcile/coverage.js";
import { TOKEN_QUERY } from "./auth.js";

/** An error with the HTTP status and the message the client sees. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface ApiContext {
  db: Database;
  /** The reference time for relative bounds (`7d`); the current time by default. */
  now?: () => number;
}

type Query = Record<string, string>;

/** The query string as an object of the allowed names; unknown or repeated names are a 400. */
function queryObject(params: URLSearchParams, allowed: readonly string[]): Query {
  const out: Query = {};
  for (const [name, value] of params) {
    if (name === TOKEN_QUERY) continue;
    if (!allowed.includes(name)) {
      const known = allowed.length ? `; known: ${allowed.join(", ")}` : "";
      throw new ApiError(400, `unknown parameter "${name}"${known}`);
    }
    if (name in out) throw new ApiError(400, `${name}: given more than once`);
    out[name] = value;
  }
  return out;
}

const REPORT_PARAMS = ["by", "since", "until", "useCase", "limit", "order", "currency"] as const;
const PERIOD_PARAMS = ["since", "until", "useCase"] as const;
const TIMESERIES_PARAMS = [...PERIOD_PARAMS, "bucket", "series"] as const;
const INSTANCE_PARAMS = ["limit"] as const;
const KPI_PARAMS = [...PERIOD_PARAMS, "by"] as const;
const FORECAST_PARAMS = ["useCase"] as const;

type Handler = (ctx: ApiContext, params: URLSearchParams, rest: string) => unknown;

const ROUTES: Record<string, Handler> = {
  // `currency=EUR`: every row's money also in EUR at its stored rate (docs/pricing.md "Currency").
  report: (ctx, params) => {
    const { currency, ...rest } = queryObject(params, REPORT_PARAMS);
    const options = parseReportOptions(rest);
    const now = ctx.now?.() ?? Date.now();
    const result = report(ctx.db, { ...options, now });
    if (currency === undefined || currency === "") return result;
    const code = currencyCodeSchema.safeParse(currency);
    if (!code.success) throw new ApiError(400, `currency: ${code.error.issues[0]!.message}`);
    try {
      return inCurrency(ctx.db, result, code.data, now);
    } catch (error) {
      if (error instanceof FxRateMissingError) throw new ApiError(400, `currency: ${error.message}`);
      throw error;
    }
  },
  // The stored exchange rates (costtrail fx set); [] before the first.
  fx: (ctx, params) => {
    queryObject(params, []);
    return { rates: listFxRates(ctx.db) };
  },
  totals: (ctx, params) => {
    const options = parsePeriodOptions(queryObject(params, PERIOD_PARAMS));
    return periodTotals(ctx.db, { ...options, now: ctx.now?.() ?? Date.now() });
  },
  timeseries: (ctx, params) => {
    const options = parseSpendOverTimeOptions(queryObject(params, TIMESERIES_PARAMS));
    return spendOverTime(ctx.db, { ...options, now: ctx.now?.() ?? Date.now() });
  },
  instance: (ctx, params, rest) => {
    if (!rest) throw new ApiError(404, "no such endpoint: use /api/instance/<id>");
    let id: string;
    try {
      id = decodeURIComponent(rest);
    } catch {
      throw new ApiError(400, "id: not a valid URL-encoded string");
    }
    const detail = instanceDetail(ctx.db, id, parseInstanceOptions(queryObject(params, INSTANCE_PARAMS)));
    if (!detail) throw new ApiError(404, `no events for instance "${id}"`);
    return detail;
  },
  // Works read-only; [] when the ledger has no limit tables (written before limits existed).
  limits: (ctx, params) => {
    queryObject(params, []);
    return { limits: limitStatuses(ctx.db, ctx.now?.() ?? Date.now()) };
  },
  // Exactly `costtrail kpis --format json`: cost per unit, ROI, and (by=version) each version's outcomes.
  kpis: (ctx, params) =>
    kpiReport(ctx.db, { ...queryObject(params, KPI_PARAMS), now: ctx.now?.() ?? Date.now() }),
  // Exactly `costtrail report --forecast --format json`: burn rates, and when each limit is reached.
  forecast: (ctx, params) => {
    const { useCase } = queryObject(params, FORECAST_PARAMS);
    if (useCase !== undefined && (useCase === "" || useCase.length > 512))
      throw new ApiError(400, "useCase: expected a use-case name of 1 to 512 characters");
    return forecast(ctx.db, {
      now: ctx.now?.() ?? Date.now(),
      ...(useCase !== undefined ? { useCase } : {}),
    });
  },
  // The latest `costtrail reconcile` coverage per provider and day; [] before the first run.
  reconciliations: (ctx, params) => {
    queryObject(params, []);
    return coverageByDay(ctx.db);
  },
};

export const API_ENDPOINTS = Object.keys(ROUTES);

/**
 * Answers `/api/<name>[/<rest>]`. Resolves to the JSON body; throws ApiError for client errors (400, 404) and
 * rethrows anything else (the server logs it and answers a generic 500).
 */
export async function handleApi(
  ctx: ApiContext,
  pathname: string,
  params: URLSearchParams,
): Promise<unknown> {
  const match = /^\/api\/([a-z]+)(?:\/(.*))?$/.exec(pathname);
  const handler = match && Object.hasOwn(ROUTES, match[1]!) ? ROUTES[match[1]!] : undefined;
  if (!match || !handler) throw new ApiError(404, `no such endpoint: ${pathname}`);
  // Only /api/instance takes a path segment.
  if (match[2] !== undefined && match[1] !== "instance")
    throw new ApiError(404, `no such endpoint: ${pathname}`);
  try {
    return await handler(ctx, params, match[2] ?? "");
  } catch (error) {
    if (error instanceof ReportOptionsError) throw new ApiError(400, error.message);
    throw error;
  }
}
