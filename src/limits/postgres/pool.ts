import pg from "pg";
import { maskSecrets } from "../../ledger/location.js";

/** Connections the limit gate keeps: reservations are one short statement each, so a few go a long way. */
export const LIMIT_POOL_SIZE = 4;
/** How long a reservation waits for a connection to an unreachable server before `limitsWhenLedgerDown` applies. */
export const LIMIT_CONNECT_TIMEOUT_MS = 5_000;
/** A statement that takes longer is treated as the store being down (docs/limits.md, "When Postgres is down"). */
export const LIMIT_QUERY_TIMEOUT_MS = 5_000;

/**
 * The limit gate's own small pool on the ledger's Postgres URL (TLS and `sslmode` as the URL says, password
 * from the URL or PGPASSWORD, as `pg` reads them). Idle connections never keep the process alive. Errors of
 * idle connections (a restarted server) are reported through `onError`, with passwords masked.
 */
export function openLimitPool(url: string, onError: (message: string, error: unknown) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: LIMIT_POOL_SIZE,
    connectionTimeoutMillis: LIMIT_CONNECT_TIMEOUT_MS,
    query_timeout: LIMIT_QUERY_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: true,
    application_name: "costtrail-limits",
    // A reservation must not wait for a disk flush (it is a lease: one lost in a server crash only makes room
    // for others); settlements lost in such a crash are the last ~0.6 s of them (docs/limits.md, "Fleet-wide").
    options: "-c synchronous_commit=off",
  });
  pool.on("error", (error) => onError("a Postgres connection of the spending-limit gate failed", error));
  return pool;
}

/** An error as it may be logged: its message with every password masked. */
export function maskedError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const masked = new Error(maskSecrets(message));
  masked.name = error instanceof Error ? error.name : "Error";
  return masked;
}
