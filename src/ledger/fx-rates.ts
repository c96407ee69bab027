import type { Database } from "better-sqlite3";
import { convertNanos, formatRate } from "../pricing/fx.js";
import type { ReportResult, ReportRow } from "./queries.js";
import { hasTable } from "./reader.js";

/** A stored rate: local units per USD from `effectiveDate` (UTC day) on, until a later one. */
export interface FxRate {
  currency: string;
  effectiveDate: string;
  /** Exact decimal text, e.g. "0.92". */
  rate: string;
  /** Parts per 10^9 as a decimal string (exact). */
  ratePpb: string;
}

function toRate(row: { currency: string; effective_date: string; rate_ppb: number | bigint }): FxRate {
  const ppb = BigInt(row.rate_ppb);
  return {
    currency: row.currency,
    effectiveDate: row.effective_date,
    rate: formatRate(ppb),
    ratePpb: String(ppb),
  };
}

/** Stores (or replaces) the rate of `currency` from `effectiveDate` on. Portable SQL (SQLite and Postgres). */
export function setFxRate(db: Database, currency: string, effectiveDate: string, ratePpb: bigint): FxRate {
  const write = db.transaction(() => {
    db.prepare("DELETE FROM fx_rates WHERE currency = ? AND effective_date = ?").run(currency, effectiveDate);
    db.prepare("INSERT INTO fx_rates (currency, effective_date, rate_ppb, set_ms) VALUES (?, ?, ?, ?)").run(
      currency,
      effectiveDate,
      ratePpb,
      Date.now(),
    );
  });
  write.immediate();
  return toRate({ currency, effective_date: effectiveDate, rate_ppb: ratePpb });
}

/** Every stored rate, by currency then date. [] on a ledger written before rates existed. */
export function listFxRates(db: Database): FxRate[] {
  if (!hasTable(db, "fx_rates")) return [];
  const rows = db
    .prepare("SELECT currency, effective_date, rate_ppb FROM fx_rates ORDER BY currency, effective_date")
    .safeIntegers(true)
    .all() as { currency: string; effective_date: string; rate_ppb: bigint }[];
  return rows.map(toRate);
}

/** The rate of `currency` in force on the UTC day of `atMs`: the newest one dated on or before it. */
export function fxRateAt(db: Database, currency: string, atMs: number): FxRate | null {
  if (!hasTable(db, "fx_rates")) return null;
  const day = new Date(atMs).toISOString().slice(0, 10);
  const row = db
    .prepare(
      `SELECT currency, effective_date, rate_ppb FROM fx_rates
        WHERE currency = ? AND effective_date <= ? ORDER BY effective_date DESC LIMIT 1`,
    )
    .safeIntegers(true)
    .get(currency, day) as { currency: string; effective_date: string; rate_ppb: bigint } | undefined;
  return row ? toRate(row) : null;
}

export class FxRateMissingError extends Error {
  override readonly name = "FxRateMissingError";
}

/** A report's money also in a local currency: one rate for the whole report, said in `currency`. */
export type LocalReport = ReportResult & { currency: FxRate };

function localRow(row: ReportRow, ppb: bigint): ReportRow {
  return {
    ...row,
    costLocalNanos: String(convertNanos(BigInt(row.costNanos), ppb)),
    estimatedLocalNanos: String(convertNanos(BigInt(row.estimatedNanos), ppb)),
  };
}

/**
 * Adds `costLocalNanos` / `estimatedLocalNanos` (exact local nano-units) to every row at the rate in force at
 * the report's end (its `until`, else `now`); the USD figures stay as they are. Throws FxRateMissingError when
 * no rate is stored for the currency by then (docs/pricing.md "Currency").
 */
export function inCurrency(db: Database, result: ReportResult, currency: string, now: number): LocalReport {
  const at = result.until ? Date.parse(result.until) - 1 : now;
  const rate = fxRateAt(db, currency, at);
  if (!rate) {
    throw new FxRateMissingError(
      `no ${currency} rate dated on or before ${new Date(at).toISOString().slice(0, 10)}: costtrail fx set ${currency} <rate> --date <YYYY-MM-DD>`,
    );
  }
  const ppb = BigInt(rate.ratePpb);
  return {
    ...result,
    rows: result.rows.map((r) => localRow(r, ppb)),
    totals: localRow(result.totals, ppb),
    currency: rate,
  };
}
