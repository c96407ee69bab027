import type { Database } from "better-sqlite3";
import { usdToMicros } from "../limits/definition.js";
import { limitStatuses } from "../limits/statuses.js";
import { hasLimitTables, readLimits } from "../limits/store.js";
import { limitSpendSince, useCaseSpendSince } from "./ledger-queries.js";

const DAY_MS = 86_400_000;

/** Spend rates in integer micro-USD per day: over the last day, and averaged over the last 7 days. */
export interface SpendRate {
  last1dMicros: number;
  last7dMicros: number;
  /** last7dMicros ÷ 7, rounded to the micro-USD. */
  perDay7dMicros: number;
}

export interface UseCaseForecast extends SpendRate {
  useCase: string;
  /** 30 days at the 7-day rate. */
  next30dAt7dRateMicros: number;
}

export interface LimitForecast extends SpendRate {
  id: string;
  window: string;
  mode: string;
  maxMicros: number;
  spentMicros: number;
  remainingMicros: number;
  /** ISO time the current window resets; null for `total`. */
  resetsAt: string | null;
  /**
   * When the limit is reached if spending goes on at the last day's / the 7-day rate: an ISO time, "now" when it
   * already is, or null when that rate is zero or the window resets first.
   */
  reachedAt1d: string | null;
  reachedAt7d: string | null;
}

export interface ForecastResult {
  now: string;
  useCases: UseCaseForecast[];
  limits: LimitForecast[];
}

function reachedAt(remaining: number, perDay: number, now: number, resetsAt: string | null): string | null {
  if (remaining <= 0) return "now";
  if (perDay <= 0) return null;
  const at = now + Math.ceil((remaining / perDay) * DAY_MS);
  if (resetsAt !== null && at >= Date.parse(resetsAt)) return null;
  return new Date(at).toISOString();
}

/** Burn rates per use case and per limit, and when each limit is reached at those rates (docs/kpis.md). */
export function forecast(db: Database, opts: { now?: number; useCase?: string } = {}): ForecastResult {
  const now = opts.now ?? Date.now();
  const since7d = now - 7 * DAY_MS;
  const since1d = now - DAY_MS;
  const useCases = useCaseSpendSince(db, since7d, since1d, now, opts.useCase).map((u) => {
    const perDay7dMicros = Math.round(u.last7dMicros / 7);
    return { ...u, perDay7dMicros, next30dAt7dRateMicros: perDay7dMicros * 30 };
  });
  const limits: LimitForecast[] = [];
  if (hasLimitTables(db)) {
    const statuses = new Map(limitStatuses(db, now).map((s) => [s.id, s]));
    for (const limit of readLimits(db)) {
      if (opts.useCase !== undefined && limit.scope?.useCaseName !== opts.useCase) continue;
      const status = statuses.get(limit.id);
      if (!status) continue;
      const spend = limitSpendSince(db, limit, since7d, since1d, now);
      const spentMicros = usdToMicros(status.spentUsd);
      const remainingMicros = Math.max(0, limit.maxMicros - spentMicros);
      const perDay7dMicros = Math.round(spend.last7dMicros / 7);
      limits.push({
        id: limit.id,
        window: limit.window,
        mode: limit.mode,
        maxMicros: limit.maxMicros,
        spentMicros,
        remainingMicros,
        resetsAt: status.resetsAt,
        ...spend,
        perDay7dMicros,
        reachedAt1d: reachedAt(remainingMicros, spend.last1dMicros, now, status.resetsAt),
        reachedAt7d: reachedAt(remainingMicros, perDay7dMicros, now, status.resetsAt),
      });
    }
  }
  return { now: new Date(now).toISOString(), useCases, limits };
}
