import type { LimitWindow } from "../types.js";

const DAY_MS = 86_400_000;

/**
 * Start of the window containing `nowMs`, in UTC: midnight for `day`, Monday 00:00 for `week`, the 1st 00:00 for
 * `month`, the epoch for `total`. Spend is stored per (limit, window start), so a new window starts at zero on
 * its own: no cron, no reset job.
 */
export function windowStart(window: LimitWindow, nowMs: number): number {
  switch (window) {
    case "day":
      return Math.floor(nowMs / DAY_MS) * DAY_MS;
    case "week": {
      const day = Math.floor(nowMs / DAY_MS) * DAY_MS;
      const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
      return day - sinceMonday * DAY_MS;
    }
    case "month": {
      const d = new Date(nowMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    case "total":
      return 0;
  }
}

/** When the window containing `nowMs` ends (the next one's start); null for `total`, which never resets. */
export function windowEnd(window: LimitWindow, nowMs: number): number | null {
  const start = windowStart(window, nowMs);
  switch (window) {
    case "day":
      return start + DAY_MS;
    case "week":
      return start + 7 * DAY_MS;
    case "month": {
      const d = new Date(start);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
    case "total":
      return null;
  }
}
