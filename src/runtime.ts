import type { ResolvedConfig } from "./config.js";
import type { EventPipeline } from "./events/pipeline.js";
import type { LimitGate } from "./limits/gate.js";
import type { EventPrice } from "./pricing/event-price.js";
import type { BatchScopeStore, Sink, UsageEvent } from "./types.js";

/** What `instrument()` set up; the provider adapters read it at call time. */
export interface Runtime {
  config: ResolvedConfig;
  pipeline: EventPipeline;
  /** Sinks costtrail created itself (the ledger), which it shuts down; the user's sinks are only flushed. */
  ownedSinks: Sink[];
  /** Prices a finished event (set once pricing is configured); `at`: its start as a Date, not parsed back from `ts`. */
  price?: (event: UsageEvent, at?: Date | number) => EventPrice;
  /** The creation scopes of batches, kept in the ledger (a SQLite ledger's `batch_scopes`). */
  batchScopes?: BatchScopeStore;
  /** Spending limits, when any are defined (config or ledger). */
  limits?: LimitGate;
}

let current: Runtime | undefined;

export function getRuntime(): Runtime | undefined {
  return current;
}

export function setRuntime(runtime: Runtime | undefined): void {
  current = runtime;
}
