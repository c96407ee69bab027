// Money in reconciliation is integer nano-USD (1e-9 USD) end to end; it becomes a decimal only for output.
// Provider amounts are decimal text (Anthropic: cents as strings) or JSON numbers (OpenAI: USD); both are
// read as decimal digits, never multiplied as floats, so "0.1" is exactly 100 000 000 nano-USD.

export const NANOS_PER_USD = 1_000_000_000;
export const NANOS_PER_MICRO = 1_000;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

export class AmountError extends RangeError {
  override readonly name = "AmountError";
}

/**
 * A decimal amount (text, or a JSON number read through its shortest decimal form) in units of
 * 10^-`unitExponent` USD (0 for USD, 2 for cents) → integer nano-USD. Digits below a nano-USD are rounded
 * half away from zero (no provider reports that finely; the rounding is explicit rather than silent).
 */
export function toNanos(amount: string | number, unitExponent: 0 | 2 = 0): number {
  const text = typeof amount === "number" ? String(amount) : amount.trim();
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new AmountError(`not a decimal amount: "${text}"`);
  const sign = m[1] === "-" ? -1n : 1n;
  const digits = (m[2] ?? "") + (m[3] ?? "");
  // value = digits × 10^(exp − fraction length − unitExponent); nanos = value × 10^9.
  const shift = Number(m[4] ?? 0) - (m[3] ?? "").length - unitExponent + 9;
  let nanos: bigint;
  if (shift >= 0) nanos = BigInt(digits || "0") * 10n ** BigInt(shift);
  else {
    const divisor = 10n ** BigInt(-shift);
    const n = BigInt(digits || "0");
    nanos = n / divisor + ((n % divisor) * 2n >= divisor ? 1n : 0n);
  }
  const result = sign * nanos;
  if (result > BigInt(Number.MAX_SAFE_INTEGER) || result < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AmountError(`amount too large to hold exactly: "${text}"`);
  }
  return Number(result);
}

/** Exact decimal text of integer nano-USD in USD, trailing zeros trimmed ("1.5", "0.000000001", "0"). */
export function nanosToUsdText(nanos: number): string {
  return scaledText(nanos, 9);
}

/** Exact decimal text of integer nano-USD in cents (Anthropic's cost_report unit). */
export function nanosToCentsText(nanos: number): string {
  return scaledText(nanos, 7);
}

function scaledText(n: number, decimals: number): string {
  if (!Number.isSafeInteger(n)) throw new AmountError(`not an exact integer amount: ${n}`);
  const sign = n < 0 ? "-" : "";
  const abs = String(Math.abs(n)).padStart(decimals + 1, "0");
  const whole = abs.slice(0, abs.length - decimals);
  const fraction = abs.slice(abs.length - decimals).replace(/0+$/, "");
  return `${sign}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** USD as a JSON number: the double nearest the exact decimal (exact for any amount under ~$9M). */
export function nanosToUsd(nanos: number): number {
  return Number(nanosToUsdText(nanos));
}
