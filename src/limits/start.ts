import type { Database } from "better-sqlite3";
import { isPostgresUrl } from "../ledger/location.js";
import { isMemoryPath, openDatabase } from "../ledger/open-database.js";
import { log } from "../log.js";
import type { LimitAlert } from "../types.js";
import type { Limit } from "./definition.js";
import { LimitEngine } from "./engine.js";
import type { LimitGate } from "./gate.js";
import { MemoryLimitGate } from "./memory-gate.js";
import { PostgresLimitGate, type WhenLedgerDown } from "./postgres/gate.js";
import { hasStoredLimits } from "./store.js";

/** Overrides the reservation TTL (ms) of engines started by `instrument()`; for tests and unusual setups. */
export const RESERVATION_TTL_ENV = "COSTTRAIL_LIMITS_RESERVATION_TTL_MS";

export interface StartLimitsOptions {
  /** Validated `instrument({ limits })`. */
  limits: readonly Limit[];
  /** The ledger as given: a SQLite path, ":memory:", a Postgres URL, or `false` (none). */
  ledger: string | false;
  /** The ledger sink's open connection, if any: used to see whether the file holds stored limits. */
  ledgerDb?: Database | null | undefined;
  onLimitAlert?: ((alert: LimitAlert) => void) | undefined;
  /** `instrument({ limitsWhenLedgerDown })`: what a check does when a Postgres ledger cannot be reached. */
  whenLedgerDown?: WhenLedgerDown | undefined;
  /** `instrument({ reservationMaxAgeMs })`: the longest a reservation counts. */
  reservationMaxAgeMs?: number | undefined;
}

function ttlFromEnv(): number | undefined {
  const raw = process.env[RESERVATION_TTL_ENV];
  if (raw === undefined || raw === "") return undefined;
  const ttl = Number(raw);
  if (Number.isFinite(ttl) && ttl > 0) return ttl;
  log.warnOnce(
    `env:${RESERVATION_TTL_ENV}`,
    `${RESERVATION_TTL_ENV}="${raw}" is not a positive number; ignored`,
  );
  return undefined;
}

/**
 * The gate `instrument()` installs as `runtime.limits`, or undefined when there is nothing to enforce (no
 * config limits and none stored in the ledger file). A Postgres ledger gets the fleet-wide gate (always: limits
 * may be stored there by any process; it costs nothing until some are). A file ledger gets the engine on its
 * own connection, shared with other processes; no ledger or `":memory:"` gets the in-memory gate (this process
 * only, no I/O). If the file cannot be used, config limits are still enforced, in memory, with a warning.
 * Never throws on I/O.
 */
export function startLimits(options: StartLimitsOptions): LimitGate | undefined {
  const { limits, ledger } = options;
  const reservationTtlMs = ttlFromEnv();
  const common = {
    limits,
    onLimitAlert: options.onLimitAlert,
    whenLedgerDown: options.whenLedgerDown ?? "allow",
    ...(reservationTtlMs ? { reservationTtlMs } : {}),
    ...(options.reservationMaxAgeMs ? { reservationMaxAgeMs: options.reservationMaxAgeMs } : {}),
  };
  if (ledger !== false && isPostgresUrl(ledger)) {
    return new PostgresLimitGate({ ...common, url: ledger, whenDown: options.whenLedgerDown ?? "allow" });
  }
  const file = ledger !== false && !isMemoryPath(ledger) ? ledger : undefined;
  if (file) {
    if (limits.length === 0 && !storedLimitsIn(options.ledgerDb)) return undefined;
    let db: Database | undefined;
    try {
      db = openDatabase(file);
      return new LimitEngine({ ...common, db, releaseOnExit: true });
    } catch (error) {
      db?.close();
      if (limits.length === 0) {
        log.error(`cannot read the spending limits stored in ${file}; they are not enforced`, error);
        return undefined;
      }
      log.error(
        `cannot use ${file} for spending limits; enforcing the configured ones in this process only`,
        error,
      );
    }
  }
  if (limits.length === 0) return undefined;
  // Nobody else can see these limits: spend and reservations live in this process's memory (memory-gate.ts).
  return new MemoryLimitGate({
    limits,
    onLimitAlert: options.onLimitAlert,
    ...(options.reservationMaxAgeMs ? { reservationMaxAgeMs: options.reservationMaxAgeMs } : {}),
  });
}

function storedLimitsIn(db: Database | null | undefined): boolean {
  if (!db) return false;
  try {
    return hasStoredLimits(db);
  } catch {
    return false;
  }
}
