import { finishCallsAtExit, startReaper, stopReaper } from "./calls/index.js";
import { defaultsLayer, resolveConfig, rootScope } from "./config.js";
import { setRootScope } from "./context/scope-tree.js";
import { EventPipeline } from "./events/pipeline.js";
import { storeKpiDefinitions } from "./kpis/start.js";
import {
  type LedgerSink,
  openLedger,
  PostgresBatchScopes,
  registerExitHooks,
  SqliteBatchScopes,
} from "./ledger/index.js";
import { ledgerLocation } from "./ledger/location.js";
import { PostgresLedgerSink } from "./ledger/postgres/sink.js";
import type { LimitGate } from "./limits/gate.js";
import { startLimits } from "./limits/start.js";
import { log } from "./log.js";
import { Pricer, priceUsageEvent } from "./pricing/index.js";
import { patchProviders, unpatchProviders } from "./providers/registry.js";
import { getRuntime, setRuntime } from "./runtime.js";
import type { InstrumentConfig, Logger, PriceOverride, Sink } from "./types.js";

export interface Instrumentation {
  /**
   * Resolves once every provider SDK is patched. Under plain Node that is already true when `instrument()`
   * returns; loaders that give `require()` their own copy of ESM packages (tsx) need this before the first call.
   */
  readonly ready: Promise<void>;
  /** Resolves once every event recorded so far is written by every sink. */
  flush(): Promise<void>;
  /** Flushes, closes what costtrail opened, and restores the providers' original methods. */
  shutdown(): Promise<void>;
}

/**
 * Starts costtrail: validates the config, sets up the root scope, the sinks and the provider patches.
 * Call it again to reconfigure; patches are never applied twice.
 */
export function instrument(config?: InstrumentConfig): Instrumentation {
  const resolved = resolveConfig(config);
  log.use(resolved.logger);
  const previous = getRuntime();
  // Everything that validates comes before anything that opens files.
  const logger = loggerOf(resolved);
  const pricer = new Pricer({ overrides: resolved.prices as PriceOverride[], logger });
  const ledger =
    resolved.ledger === false ? undefined : ledgerFor(resolved.ledger, previous?.ownedSinks, logger);
  const ownedSinks: Sink[] = ledger ? [ledger] : [];
  const sqlite = ledger instanceof PostgresLedgerSink ? undefined : ledger;
  if (ledger instanceof PostgresLedgerSink) ledger.defineKpis(resolved.kpis);
  else storeKpiDefinitions(sqlite?.db, resolved.kpis);
  const pipeline = new EventPipeline([...ownedSinks, ...resolved.sinks], resolved.onEvent);
  // Spending limits: only when some are configured or stored in the ledger file (see docs/limits.md).
  const limits = startLimits({
    limits: resolved.limits,
    // A Postgres URL gets the fleet-wide gate (src/limits/postgres), on the pool it shares with the ledger
    // sink (src/ledger/postgres/pool.ts).
    ledger: resolved.ledger,
    ledgerDb: sqlite?.db,
    onLimitAlert: resolved.onLimitAlert,
    whenLedgerDown: resolved.limitsWhenLedgerDown,
    reservationMaxAgeMs: resolved.reservationMaxAgeMs,
  });
  setRuntime({
    config: resolved,
    pipeline,
    ownedSinks,
    price: (event, at) => priceUsageEvent(pricer, event, at),
    ...(limits ? { limits } : {}),
    ...(ledger
      ? {
          batchScopes:
            ledger instanceof PostgresLedgerSink
              ? new PostgresBatchScopes(ledger)
              : new SqliteBatchScopes(() => ledger.db),
        }
      : {}),
  });
  // `defaults` apply in both modes: the root scope of global instrumentation, or — with it off — the outermost
  // layer of every scope, with no use case of its own and nothing outside a scope (docs/concepts.md).
  if (resolved.globalInstrumentation) setRootScope(rootScope(resolved.defaults));
  else setRootScope(defaultsLayer(resolved.defaults), false);
  startReaper(resolved.abandonedCallTimeoutMs);
  // Calls in flight when the process exits or is signalled are recorded (aborted, with their estimate) before
  // the ledger drains: never silently dropped (docs/ledger.md, "Exit").
  unregisterExit ??= registerExitHooks({
    prepare: finishCallsAtExit,
    drain: () => {},
    finalReport: () => {},
  });
  ready = patchProviders();
  // Reconfiguring: close what the previous setup opened and this one does not reuse.
  if (previous) void previous.pipeline.shutdown(previous.ownedSinks.filter((s) => !ownedSinks.includes(s)));
  void closeGate(previous?.limits);
  return handle;
}

/**
 * One ledger per location: a second `instrument()` with the same path or URL keeps writing through the same
 * sink. A `postgres://` URL is the fleet ledger (docs/fleet.md); anything else is a SQLite file.
 */
function ledgerFor(
  value: string,
  previous: Sink[] | undefined,
  logger: Logger,
): LedgerSink | PostgresLedgerSink {
  const location = ledgerLocation(value);
  if (location.kind === "postgres") {
    const same = previous?.find(
      (s): s is PostgresLedgerSink => s instanceof PostgresLedgerSink && s.url === location.url,
    );
    return same ?? new PostgresLedgerSink(location.url, { logger });
  }
  const same = previous?.find(
    (s): s is LedgerSink => s.name === "ledger" && (s as LedgerSink).path === location.path,
  );
  return same ?? openLedger(location.path, { logger });
}

/** Closes a limit gate (sync or async); its failure is logged, never thrown at the caller. */
async function closeGate(gate: LimitGate | undefined): Promise<void> {
  try {
    await gate?.close?.();
  } catch (error) {
    log.errorOnce("limits-close", "could not close the spending-limit gate", error);
  }
}

/**
 * The logger handed to the parts costtrail sets up (ledger, pricer): costtrail's own log, which goes to the
 * user's logger when given, guarded (a throwing logger loses nothing) and prefixed once.
 */
function loggerOf(_config: ReturnType<typeof resolveConfig>): Logger {
  return { warn: (m: string) => log.warn(m), error: (m: string, e?: unknown) => log.error(m, e) };
}

let ready: Promise<void> = Promise.resolve();
let unregisterExit: (() => void) | undefined;

const handle: Instrumentation = {
  get ready() {
    return ready;
  },
  async flush() {
    await getRuntime()?.pipeline.flush();
  },
  async shutdown() {
    const runtime = getRuntime();
    if (!runtime) return;
    unpatchProviders();
    stopReaper();
    unregisterExit?.();
    unregisterExit = undefined;
    setRuntime(undefined);
    await closeGate(runtime.limits);
    setRootScope(undefined);
    await runtime.pipeline.flush();
    await runtime.pipeline.shutdown(runtime.ownedSinks);
  },
};
