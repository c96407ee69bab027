import type { Database } from "better-sqlite3";
import { type EventFilterOptions, eventFilter } from "../ledger/queries.js";
import { costPerInstance } from "./ledger-queries.js";

/** How cost spreads over a use case's instances: the costly tail next to the typical instance. */
export interface InstanceCostDistribution {
  useCase: string;
  instances: number;
  /** Integer micro-USD per instance; nearest-rank percentiles (an actual instance's cost, never interpolated). */
  p50Micros: number;
  p95Micros: number;
  maxMicros: number;
  totalMicros: number;
}

/** Nearest rank: the smallest value with at least p % of the values at or below it. `sorted` ascending. */
export function nearestRank(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Per use case, the distribution of cost per instance over the events of a range. */
export function instanceCostDistribution(db: Database, opts: EventFilterOptions): InstanceCostDistribution[] {
  return costPerInstance(db, eventFilter(opts)).map(({ useCase, costs }) => ({
    useCase,
    instances: costs.length,
    p50Micros: nearestRank(costs, 50),
    p95Micros: nearestRank(costs, 95),
    maxMicros: costs.at(-1)!,
    totalMicros: costs.reduce((a, b) => a + b, 0),
  }));
}
