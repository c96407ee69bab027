// How the page writes numbers, amounts, times and durations. Amounts arrive as integer micro-USD.

const countFormat = new Intl.NumberFormat("en-US");
const compactFormat = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export const fmtCount = (n: number): string => countFormat.format(n);
export const fmtCompact = (n: number): string =>
  Math.abs(n) < 10_000 ? countFormat.format(n) : compactFormat.format(n);

/** Exact USD with 6 decimals from integer micro-USD, as the CLI prints it. */
export function exactUsd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.trunc(abs / 1e6)}.${String(abs % 1e6).padStart(6, "0")}`;
}

/** Decimals that keep a table's amounts readable: cents for dollars, more for the tiny costs of cheap models. */
export function decimalsFor(maxMicros: number): number {
  if (maxMicros >= 10_000_000) return 2;
  if (maxMicros >= 100_000) return 4;
  return 6;
}

export function fmtUsd(micros: number, decimals: number = decimalsFor(Math.abs(micros))): string {
  const usd = micros / 1e6;
  return `$${usd.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })}`;
}

export const pct = (part: number, whole: number): number => (whole > 0 ? (part / whole) * 100 : 0);
export const fmtPct = (p: number): string =>
  p === 0 ? "0%" : p < 0.1 ? "<0.1%" : p < 10 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;

/** Local time, to the second: when calls happened. */
export const dateTime = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
/** UTC days and hours: the buckets of `costtrail report --by day` and of the chart. */
export const dayFormat = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  timeZone: "UTC",
});
export const dayYearFormat = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  year: "numeric",
  timeZone: "UTC",
});
export const hourFormat = new Intl.DateTimeFormat("en-US", {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
  timeZone: "UTC",
});

export function fmtDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
  return `${(ms / 86_400_000).toFixed(1)} days`;
}
