import { startReaper, stopReaper } from "./calls/index.js";
import { resolveConfig, rootScope } from "./config.js";
import { setRootScope } from "./context/scope-tree.js";
import { EventPipeline } from "./events/pipeline.js";
import { storeKpiDefinitions } from "./kpis/start.js";
import { type LedgerSink, openLedger } from "./ledger/index.js";
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
    // A Postgres ledger's fleet-wide limit gate is src/limits' own (docs/fleet.md); until it is there, limits
    // configured with a Postgres ledger are enforced per process, in memory, never against a file named "postgres:".
    ledger: ledger instanceof PostgresLedgerSink ? false : resolved.ledger,
    ledgerDb: sqlite?.db,
    onLimitAlert: resolved.onLimitAlert,
  });
  setRuntime({
    config: resolved,
    pipeline,
    ownedSinks,
    price: (event) => priceUsageEvent(pricer, event),
    ...(limits ? { limits } : {}),
  });
  setRootScope(resolved.globalInstrumentation ? rootScope(resolved.defaults) : undefined);
  startReaper(resolved.abandonedCallTimeoutMs);
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
    setRuntime(undefined);
    await closeGate(runtime.limits);
    setRootScope(undefined);
    await runtime.pipeline.flush();
    await runtime.pipeline.shutdown(runtime.ownedSinks);
  },
};
