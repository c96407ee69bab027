/** A point in time for report ranges: a duration back from now (`7d`), an ISO date/time, epoch ms or a Date. */
export type TimeBound = string | number | Date;

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const RELATIVE = /^(\d{1,9})(s|m|h|d|w)$/;
// A date, optionally with a time and zone. Anything else Date.parse accepts ("March 7") is too loose to guess.
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

export class TimeBoundError extends RangeError {
  override readonly name = "TimeBoundError";
}

/**
 * Resolves a bound to epoch ms. `7d`, `24h`, `30m`, `2w`, `90s` count back from `now`; ISO dates without a
 * zone are UTC for a bare date and local time for a date-time (JavaScript's rules).
 */
export function parseTimeBound(input: TimeBound, now: number = Date.now()): number {
  if (input instanceof Date) {
    const ms = input.getTime();
    if (Number.isFinite(ms)) return ms;
    throw new TimeBoundError("invalid date");
  }
  if (typeof input === "number") {
    if (Number.isFinite(input)) return input;
    throw new TimeBoundError(`invalid time ${input}`);
  }
  const text = input.trim();
  const rel = RELATIVE.exec(text);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  if (ISO.test(text)) {
    const ms = Date.parse(text.replace(" ", "T"));
    if (Number.isFinite(ms)) return ms;
  }
  throw new TimeBoundError(
    `invalid time "${input}": use a duration such as 30m, 24h, 7d, 2w, or an ISO date such as 2025-01-31`,
  );
}
