import type { Database } from "better-sqlite3";
import { z } from "zod";
import { EMPTY_TO_UNDEFINED, eventFilter, ReportOptionsError, timeBoundSchema } from "../ledger/queries.js";
import type { KpiDefinition, KpiKind } from "../types.js";
import {
  hasKpiTables,
  type InstanceCostRow,
  instanceCosts,
  type KpiAggregateRow,
  type KpiGroupBy,
  kpiAggregates,
  readKpiDefinitions,
} from "./ledger-queries.js";
import { divRound, fromNanos } from "./nanos.js";

export const KPI_GROUP_KEYS = ["version", "account", "user"] as const satisfies readonly KpiGroupBy[];

export const kpiReportOptionsSchema = z
  .object({
    by: z.preprocess(EMPTY_TO_UNDEFINED, z.enum(KPI_GROUP_KEYS).optional()),
    since: timeBoundSchema,
    until: timeBoundSchema,
    useCase: z.preprocess(EMPTY_TO_UNDEFINED, z.string().max(512).optional()),
    now: z.union([z.number(), z.date()]).optional(),
  })
  .strict();

export type KpiReportOptions = z.input<typeof kpiReportOptionsSchema>;

/** One KPI of one use case (and group, with `by`). Money in exact integer nano-USD, plus USD for reading. */
export interface KpiReportRow {
  useCase: string;
  /** The group's value with `by` (a version number, an account, a user); null without `by` or when unset. */
  group: string | number | null;
  kpi: string;
  kind: KpiKind;
  /** False when no definition names this KPI for this use case (the kind is then inferred from the values). */
  defined: boolean;
  /** Use-case instances with events in the range (in this group). */
  instances: number;
  /** Of those, how many recorded this KPI. */
  instancesWithKpi: number;
  records: number;
  /** Sum of the values (booleans: how many were true). */
  totalValue: number;
  totalValueNanos: string;
  /** totalValue ÷ instancesWithKpi; null when none recorded it. */
  avgValue: number | null;
  /** Boolean KPIs: instances where it was true ÷ instances. Null for other kinds. */
  rate: number | null;
  /** Cost of the use case's instances in the range (in this group). */
  costNanos: string;
  costUsd: number;
  /** costNanos ÷ totalValue, rounded to the nano-USD; null when the total is 0. */
  costPerUnitNanos: string | null;
  costPerUnitUsd: number | null;
  /** usd KPIs defined with `roi: true`: (totalValue − cost) ÷ cost; null otherwise or when the cost is 0. */
  roi: number | null;
  goal: KpiDefinition["goal"] | null;
  /** The goal compared with the rate (boolean KPIs) or avgValue (others); null without a goal or a value. */
  goalMet: boolean | null;
}

/** Cost and instances of a use case (and group) in the range, KPIs or not. */
export interface KpiUseCaseRow {
  useCase: string;
  group: string | number | null;
  instances: number;
  requests: number;
  blocked: number;
  costNanos: string;
  costUsd: number;
}

export interface KpiReportResult {
  by: KpiGroupBy | null;
  since: string | null;
  until: string | null;
  rows: KpiReportRow[];
  useCases: KpiUseCaseRow[];
  /** Definitions stored in the ledger, so a consumer can tell which KPIs are expected. */
  definitions: KpiDefinition[];
}

const NANOS_PER_UNIT = 1_000_000_000n;
const KIND_PRECEDENCE: readonly KpiKind[] = ["boolean", "count", "usd", "number"];

const groupKey = (useCase: string, group: string | number | null) => JSON.stringify([useCase, group]);

/** Records that agree on a kind keep it; mixed records (e.g. counts and fractions) are plain numbers. */
function inferredKind(row: KpiAggregateRow): KpiKind {
  if (row.kindMin === row.kindMax && KIND_PRECEDENCE.includes(row.kindMin as KpiKind))
    return row.kindMin as KpiKind;
  return "number";
}

function goalMet(goal: KpiDefinition["goal"] | undefined, value: number | null): boolean | null {
  if (!goal || value === null) return null;
  switch (goal.op) {
    case ">=":
      return value >= goal.value;
    case ">":
      return value > goal.value;
    case "<=":
      return value <= goal.value;
    case "<":
      return value < goal.value;
    case "=":
      return value === goal.value;
  }
}

function compareGroups(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * KPIs per use case (and per version, account or user): instances, totals, cost per unit and ROI. The range
 * selects instances by their events; an instance's KPIs count whenever they were recorded (late ones too).
 */
export function kpiReport(db: Database, options: KpiReportOptions = {}): KpiReportResult {
  const parsed = kpiReportOptionsSchema.safeParse(options);
  if (!parsed.success) throw ReportOptionsError.fromZod(parsed.error);
  const opts = parsed.data;
  const filter = eventFilter(opts);
  const by = opts.by;
  const withKpis = hasKpiTables(db);
  const costs = instanceCosts(db, by, filter);
  const aggregates = withKpis ? kpiAggregates(db, by, filter, opts.useCase) : [];
  const definitions = withKpis
    ? readKpiDefinitions(db).filter((d) => opts.useCase === undefined || d.useCase === opts.useCase)
    : [];

  const costOf = new Map<string, InstanceCostRow>();
  for (const c of costs) costOf.set(groupKey(c.useCase, c.group), c);
  const definitionOf = new Map(definitions.map((d) => [JSON.stringify([d.useCase, d.name]), d]));

  const rows: KpiReportRow[] = aggregates.map((a) => {
    const def = definitionOf.get(JSON.stringify([a.useCase, a.name]));
    return buildRow(a.useCase, a.group, a.name, def, a, costOf.get(groupKey(a.useCase, a.group)));
  });
  // Defined KPIs nobody recorded yet still get a row (0 of n instances) wherever their use case ran.
  const seen = new Set(rows.map((r) => JSON.stringify([r.useCase, r.group, r.kpi])));
  for (const c of costs) {
    for (const d of definitions) {
      if (d.useCase !== c.useCase || seen.has(JSON.stringify([c.useCase, c.group, d.name]))) continue;
      rows.push(buildRow(c.useCase, c.group, d.name, d, undefined, c));
    }
  }
  rows.sort(
    (x, y) =>
      (x.useCase < y.useCase ? -1 : x.useCase > y.useCase ? 1 : 0) ||
      compareGroups(x.group, y.group) ||
      (x.kpi < y.kpi ? -1 : x.kpi > y.kpi ? 1 : 0),
  );
  const useCases = costs
    .map(
      (c): KpiUseCaseRow => ({
        useCase: c.useCase,
        group: c.group,
        instances: Number(c.instances),
        requests: Number(c.requests),
        blocked: Number(c.blocked),
        costNanos: String(c.costNanos),
        costUsd: fromNanos(c.costNanos),
      }),
    )
    .sort(
      (x, y) =>
        (x.useCase < y.useCase ? -1 : x.useCase > y.useCase ? 1 : 0) || compareGroups(x.group, y.group),
    );
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return { by: by ?? null, since: iso(filter.since), until: iso(filter.until), rows, useCases, definitions };
}

function buildRow(
  useCase: string,
  group: string | number | null,
  kpi: string,
  def: KpiDefinition | undefined,
  agg: KpiAggregateRow | undefined,
  cost: InstanceCostRow | undefined,
): KpiReportRow {
  const kind = def?.kind ?? (agg ? inferredKind(agg) : "number");
  const instances = Number(cost?.instances ?? 0n);
  const withKpi = Number(agg?.instancesWithKpi ?? 0n);
  const totalNanos = agg?.totalNanos ?? 0n;
  const costNanos = cost?.costNanos ?? 0n;
  const totalValue = fromNanos(totalNanos);
  const avgValue = withKpi > 0 ? totalValue / withKpi : null;
  const rate = kind === "boolean" && instances > 0 ? Number(agg?.instancesPositive ?? 0n) / instances : null;
  // cost ÷ (totalNanos / 1e9) = cost × 1e9 ÷ totalNanos, in integers.
  const perUnit = totalNanos === 0n ? null : divRound(costNanos * NANOS_PER_UNIT, totalNanos);
  const roi =
    kind === "usd" && def?.roi && costNanos > 0n ? Number(totalNanos - costNanos) / Number(costNanos) : null;
  return {
    useCase,
    group,
    kpi,
    kind,
    defined: def !== undefined,
    instances,
    instancesWithKpi: withKpi,
    records: Number(agg?.records ?? 0n),
    totalValue,
    totalValueNanos: String(totalNanos),
    avgValue,
    rate,
    costNanos: String(costNanos),
    costUsd: fromNanos(costNanos),
    costPerUnitNanos: perUnit === null ? null : String(perUnit),
    costPerUnitUsd: perUnit === null ? null : fromNanos(perUnit),
    roi,
    goal: def?.goal ?? null,
    goalMet: goalMet(def?.goal, kind === "boolean" ? rate : avgValue),
  };
}
