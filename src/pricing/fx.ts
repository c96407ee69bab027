import { z } from "zod";

/**
 * Exchange rates for display (docs/pricing.md "Currency"): the ledger stays in USD; a report may also show a
 * local currency at a stored, dated rate. Rates are exact integers — local units per USD in parts per 10^9 —
 * so a conversion is one integer multiplication and one rounding, never float arithmetic.
 */
export const PPB = 1_000_000_000n;

/** ISO 4217: three letters, stored upper-case; USD itself needs no rate. */
export const currencyCodeSchema = z
  .string({ error: "must be a currency code such as EUR" })
  .trim()
  .regex(/^[A-Za-z]{3}$/, "must be a three-letter ISO 4217 code such as EUR")
  .transform((s) => s.toUpperCase())
  .refine((s) => s !== "USD", "is the ledger's own currency: no rate needed");

/** Local units per USD as a decimal (`0.92`, `156.4`), at most 9 decimals: parts per 10^9, exactly. */
export const fxRateSchema = z
  .string({ error: "must be a decimal such as 0.92" })
  .trim()
  .regex(/^\d{1,12}(\.\d{1,9})?$/, "must be a positive decimal with at most 9 decimals, such as 0.92")
  .transform((s) => {
    const [whole, frac = ""] = s.split(".");
    return BigInt(whole!) * PPB + BigInt(frac.padEnd(9, "0"));
  })
  .refine((ppb) => ppb > 0n, "must be greater than 0");

/** A calendar day, `YYYY-MM-DD`, that exists. */
export const fxDateSchema = z
  .string({ error: "must be a date such as 2026-12-01" })
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date such as 2026-12-01")
  .refine((s) => new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), "is not a calendar date");

/** Parts per 10^9 back to the decimal text it was given as (`920000000` → `0.92`). */
export function formatRate(ppb: bigint): string {
  const whole = ppb / PPB;
  const frac = (ppb % PPB).toString().padStart(9, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
}

/** USD nano-units → local nano-units at `ppb`, rounded half away from zero, exactly. */
export function convertNanos(usdNanos: bigint, ppb: bigint): bigint {
  const negative = usdNanos < 0n;
  const abs = negative ? -usdNanos : usdNanos;
  const local = (abs * ppb + PPB / 2n) / PPB;
  return negative ? -local : local;
}
