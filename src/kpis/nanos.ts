// KPI values are stored as integer nano-units (value × 1e9), so sums, costs per unit and ROI are exact.
// The conversion goes through the number's shortest decimal form (what the user wrote, for literals), never
// through a float multiplication, which would turn 0.1 into 100000000.00000001.

/** |value| may not exceed this: its nano-units must fit a signed 64-bit integer column. */
export const MAX_KPI_VALUE = 9_000_000_000;

const NANOS_PER_UNIT = 1_000_000_000n;

/** Exact nano-units of a finite number, rounded half away from zero past the 9th decimal. */
export function toNanos(value: number): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const text = String(Math.abs(value));
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (!match) throw new RangeError(`unexpected number form: ${text}`);
  const digits = match[1]! + (match[2] ?? "");
  // Position of the decimal point in `digits`, shifted by the exponent, then by 9 for nano-units.
  const point = match[1]!.length + Number(match[3] ?? 0) + 9;
  let nanos: bigint;
  if (point <= 0) nanos = point === 0 && digits[0]! >= "5" ? 1n : 0n;
  else if (point >= digits.length) nanos = BigInt(digits + "0".repeat(point - digits.length));
  else nanos = BigInt(digits.slice(0, point)) + (digits[point]! >= "5" ? 1n : 0n);
  return value < 0 ? -nanos : nanos;
}

/** Nano-units back to a number (exact for what a double can hold). */
export function fromNanos(nanos: bigint): number {
  const whole = nanos / NANOS_PER_UNIT;
  const rest = nanos % NANOS_PER_UNIT;
  return Number(whole) + Number(rest) / 1e9;
}

/** a ÷ b rounded half away from zero, on integers (b ≠ 0). */
export function divRound(a: bigint, b: bigint): bigint {
  const negative = a < 0n !== b < 0n;
  const absA = a < 0n ? -a : a;
  const absB = b < 0n ? -b : b;
  const q = (absA * 2n + absB) / (absB * 2n);
  return negative ? -q : q;
}
