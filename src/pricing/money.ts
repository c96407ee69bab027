/**
 * Money is integer nano-USD (1 USD = 1e9 nano-USD). One event's cost is a JS number, exact up to
 * 2^53 nano-USD (≈ $9M per call); totals may exceed that, so sums are BigInt and travel in JSON as decimal
 * strings. See docs/pricing.md "Exact money".
 */

export const NANOS_PER_USD = 1_000_000_000n;
export const NANOS_PER_MICRO = 1000;
/** Prices are computed in pico-USD (1e-12 USD): a USD-per-MTok price with up to 6 decimals is whole pico per token. */
export const PICOS_PER_NANO = 1000;

/** A per-event figure: a safe non-negative integer, or null. */
export function isNanos(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * The derived micro-USD convenience figure: rounded UP, so a non-zero cost never becomes 0 (a 200 nano-USD
 * embedding call is 1 µ$, not 0). Sums of these over-state by < 1 µ$ per event; exact totals sum nanos.
 */
export function nanosToMicros(nanos: number): number;
export function nanosToMicros(nanos: number | null): number | null;
export function nanosToMicros(nanos: number | null): number | null {
  if (nanos === null) return null;
  return Math.ceil(nanos / NANOS_PER_MICRO);
}

/** Exact micro-USD → nano-USD (for events written before costNanos existed). */
export function microsToNanos(micros: number): number {
  return micros * NANOS_PER_MICRO;
}

/** Rounds pico-USD up to whole nano-USD (never lets a non-zero amount vanish). */
export function picosToNanos(picos: number | bigint): number {
  if (typeof picos === "bigint") {
    const p = BigInt(PICOS_PER_NANO);
    return Number((picos + p - 1n) / p);
  }
  const q = Math.floor(picos / PICOS_PER_NANO);
  // Exact for safe integers: the remainder tells whether the float division rounded.
  const r = picos - q * PICOS_PER_NANO;
  if (r > 0) return q + 1;
  if (r < 0) return q;
  return q;
}

/** An exact running total of nano-USD amounts (numbers, bigints or decimal strings). */
export class NanoSum {
  #total = 0n;
  add(nanos: number | bigint | string | null | undefined): this {
    if (nanos === null || nanos === undefined) return this;
    this.#total += typeof nanos === "bigint" ? nanos : BigInt(nanos);
    return this;
  }
  get value(): bigint {
    return this.#total;
  }
  /** For JSON: a decimal string, exact at any size. */
  toJSON(): string {
    return this.#total.toString();
  }
}

/** Sums nano-USD amounts exactly. */
export function sumNanos(values: Iterable<number | bigint | string | null | undefined>): bigint {
  const s = new NanoSum();
  for (const v of values) s.add(v);
  return s.value;
}

/** Parses a nano-USD decimal string (as written in JSON reports) back to a BigInt; throws on anything else. */
export function parseNanos(text: string): bigint {
  if (!/^-?\d+$/.test(text)) throw new TypeError(`not a nano-USD integer: ${JSON.stringify(text)}`);
  return BigInt(text);
}

/** "$1.234567891" style: exact USD text of a nano-USD amount with `decimals` places (rounded half up). */
export function formatUsd(nanos: number | bigint | string, decimals = 6): string {
  let n = typeof nanos === "bigint" ? nanos : BigInt(nanos);
  const negative = n < 0n;
  if (negative) n = -n;
  const places = Math.max(0, Math.min(9, Math.trunc(decimals)));
  const unit = 10n ** BigInt(9 - places);
  const rounded = (n + unit / 2n) / unit;
  const scale = 10n ** BigInt(places);
  const whole = rounded / scale;
  const frac = places ? `.${(rounded % scale).toString().padStart(places, "0")}` : "";
  return `${negative ? "-" : ""}$${whole}${frac}`;
}

/** USD as a float, for display and charts only (never for sums that must be exact). */
export function nanosToUsd(nanos: number | bigint): number {
  return Number(nanos) / 1e9;
}
