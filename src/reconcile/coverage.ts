import type { Database } from "better-sqlite3";
import { coveragePct } from "./compare.js";
import { latestCoverage } from "./ledger-side.js";
import { nanosToUsd } from "./money.js";

/** The answer of `GET /api/reconciliations` (src/server/api-types.ts names it for the page). */
export interface ReconciliationsResult {
  days: CoverageDay[];
}

export interface CoverageDay {
  provider: string;
  day: string;
  providerUsd: number;
  ledgerUsd: number;
  /** provider − ledger: spend the ledger does not explain (negative when the ledger is above). */
  gapUsd: number;
  coveragePct: number | null;
  /** When the run that last covered this day ran. */
  reconciledAt: string;
}

/** The latest reconciled coverage per provider and UTC day, newest day first (the dashboard's view). */
export function coverageByDay(db: Database): ReconciliationsResult {
  return {
    days: latestCoverage(db).map((d) => ({
      provider: d.provider,
      day: d.day,
      providerUsd: nanosToUsd(d.providerNanos),
      ledgerUsd: nanosToUsd(d.ledgerNanos),
      gapUsd: nanosToUsd(d.providerNanos - d.ledgerNanos),
      coveragePct: coveragePct(d.providerNanos, d.ledgerNanos),
      reconciledAt: new Date(d.runMs).toISOString(),
    })),
  };
}
