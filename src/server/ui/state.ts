// What the page shows (period, use case, tab, bucket, open instance), kept in the URL hash so that a view can
// be bookmarked or shared, and the period parameters every panel's API call takes.
import type { PeriodParams, ReportBy } from "../api-types.js";

export interface Tab {
  id: string;
  by: ReportBy;
  label: string;
  /** The key column's header. */
  key: string;
  /** How a row without a value reads. */
  none: string;
  /** Rows open the instance drill-down. */
  drill?: boolean;
  note?: string;
}

export const TABS: readonly Tab[] = [
  { id: "users", by: "user", label: "Users", key: "User", none: "(no user)" },
  { id: "use-cases", by: "use-case", label: "Use cases", key: "Use case", none: "(no use case)" },
  {
    id: "instances",
    by: "instance",
    label: "Instances",
    key: "Instance",
    none: "(no instance)",
    drill: true,
  },
  { id: "accounts", by: "account", label: "Accounts", key: "Account", none: "(no account)" },
  { id: "models", by: "model", label: "Models", key: "Model", none: "(no model)" },
  {
    id: "tags",
    by: "tag",
    label: "Tags",
    key: "Tag",
    none: "(untagged)",
    note: "A call with several tags is counted in each of its tags' rows; the total counts it once.",
  },
];

export type Period = "24h" | "7d" | "30d" | "all" | "custom";
export type BucketSize = "day" | "hour";

export const PERIODS: Readonly<Record<Period, { label: string; ms?: number }>> = {
  "24h": { label: "in the last 24 hours", ms: 86_400_000 },
  "7d": { label: "in the last 7 days", ms: 7 * 86_400_000 },
  "30d": { label: "in the last 30 days", ms: 30 * 86_400_000 },
  all: { label: "all time" },
  custom: { label: "" },
};

const isPeriod = (value: string | null): value is Period => value !== null && Object.hasOwn(PERIODS, value);

export interface SortState {
  /** A ReportRow field. */
  column: string;
  dir: "asc" | "desc";
}

export interface PageState {
  period: Period;
  /** Custom range: ISO days, both inclusive. */
  since: string;
  until: string;
  useCase: string;
  tab: string;
  /** "" lets the period choose. */
  bucket: BucketSize | "";
  instance: string;
  sort: SortState;
}

export const DEFAULT_SORT: SortState = { column: "costMicros", dir: "desc" };

export const state: PageState = {
  period: "30d",
  since: "",
  until: "",
  useCase: "",
  tab: "users",
  bucket: "",
  instance: "",
  sort: { ...DEFAULT_SORT },
};

export function readHash(): void {
  const p = new URLSearchParams(location.hash.slice(1));
  const period = p.get("period");
  state.period = isPeriod(period) ? period : "30d";
  state.since = p.get("since") ?? "";
  state.until = p.get("until") ?? "";
  if (state.period === "custom" && !(state.since && state.until)) state.period = "30d";
  state.useCase = p.get("useCase") ?? "";
  const tab = p.get("tab");
  state.tab = TABS.some((t) => t.id === tab) && tab ? tab : "users";
  const bucket = p.get("bucket");
  state.bucket = bucket === "day" || bucket === "hour" ? bucket : "";
  state.instance = p.get("instance") ?? "";
}

export function writeHash(): void {
  const p = new URLSearchParams();
  p.set("period", state.period);
  if (state.period === "custom") {
    p.set("since", state.since);
    p.set("until", state.until);
  }
  if (state.useCase) p.set("useCase", state.useCase);
  p.set("tab", state.tab);
  if (state.bucket) p.set("bucket", state.bucket);
  if (state.instance) p.set("instance", state.instance);
  history.replaceState(null, "", `#${p}`);
}

export const currentTab = (): Tab => TABS.find((t) => t.id === state.tab) ?? TABS[0]!;

/** The period of the last full load: tab switches and bucket changes reuse it, so every panel agrees. */
export const loaded: { params: PeriodParams } = { params: {} };

/** Since/until as absolute ISO times, computed once per load so every panel shows the same period. */
export function periodParams(): PeriodParams {
  const params: PeriodParams = {};
  const preset = PERIODS[state.period];
  if (preset.ms) params.since = new Date(Date.now() - preset.ms).toISOString();
  if (state.period === "custom") {
    params.since = state.since;
    // The picker's "to" day is inclusive; the API's until is exclusive.
    const until = new Date(`${state.until}T00:00:00Z`);
    until.setUTCDate(until.getUTCDate() + 1);
    params.until = until.toISOString().slice(0, 10);
  }
  if (state.useCase) params.useCase = state.useCase;
  return params;
}

/** Hour buckets for short periods, days otherwise, unless the user chose. */
export function bucket(): BucketSize {
  if (state.bucket) return state.bucket;
  if (state.period === "24h") return "hour";
  if (state.period === "custom") {
    const days = (Date.parse(state.until) - Date.parse(state.since)) / 86_400_000;
    return days <= 2 ? "hour" : "day";
  }
  return "day";
}
