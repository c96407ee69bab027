import type { Database } from "better-sqlite3";
import { type EventFilterOptions, eventFilter } from "../ledger/queries.js";
import { costPerInstance } from "./ledger-queries.js";

/** How cost spreads over a use case's instances: the costly tail next to the typical instance. */
export interface InstanceCostDistribution {
  useCase: string;
  instances: number;
  /**
   * Integer micro-USD per instance, each rounded up from the instance's exact nano-USD sum; nearest-rank
   * percentiles (an actual instance's cost, never interpolated). totalMicros is the exact total, rounded up.
   */
  p50Micros: number;
  p95Micros: number;
  maxMicros: number;
  totalMicros: number;
}

/** Nearest rank: the smallest value with at least p % of the values at or below it. `sorted` ascending. */
export function nearestRank<T>(sorted: readonly T[], p: number): T {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

const ceilMicros = (nanos: bigint) => Number((nanos + 999n) / 1000n);

/** Per use case, the distribution of cost per instance over the events of a range. */
export function instanceCostDistribution(db: Database, opts: EventFilterOptions): InstanceCostDistribution[] {
  return costPerInstance(db, eventFilter(opts)).map(({ useCase, costs }) => ({
    useCase,
    instances: costs.length,
    p50Micros: ceilMicros(nearestRank(costs, 50)),
    p95Micros: ceilMicros(nearestRank(costs, 95)),
    maxMicros: ceilMicros(costs.at(-1)!),
    totalMicros: ceilMicros(costs.reduce((a, b) => a + b, 0n)),
  }));
}
