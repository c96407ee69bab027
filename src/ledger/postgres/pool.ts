import type pg from "pg";
import { maskSecrets } from "../location.js";

export interface PoolOptions {
  /** Connections this pool may hold. The sink writes one batch at a time: 2 is plenty, and 20 replicas stay far below max_connections. */
  max?: number;
  /** How long to wait for a connection before the attempt counts as a failure (then the sink spools). */
  connectTimeoutMs?: number;
  /** Called with a masked message when an idle connection breaks (the server restarted); default: ignore. */
  onIdleError?: (message: string) => void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 10_000;
const QUERY_TIMEOUT_MS = 60_000;

/**
 * A pooled `pg` connection to the ledger's server. The URL is passed to `pg` as is, so TLS query parameters
 * (`sslmode`, `sslrootcert`, …) and the password (from the URL, else `PGPASSWORD`) work as in libpq
 * (docs/fleet.md). Idle connections never keep the process alive.
 */
export async function createPool(url: string, options: PoolOptions = {}): Promise<pg.Pool> {
  // Loaded on first use: a SQLite-only app never pays for the driver.
  const { default: driver } = await import("pg");
  const pool = new driver.Pool({
    connectionString: url,
    max: options.max ?? 2,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    allowExitOnIdle: true,
    // A server that stops answering mid-query (a network partition) must fail the batch, not hang the sink.
    query_timeout: QUERY_TIMEOUT_MS,
    application_name: "costtrail",
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would crash the app.
  pool.on("error", (error) => options.onIdleError?.(describePgError(error)));
  // A checked-out client can also be told the server is going away between two queries (FATAL 57P01, then
  // the socket closes): the query in flight fails on its own, the client's 'error' event must not crash.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/** A `pg` or socket error as one line, with its code and any password masked. */
export function describePgError(error: unknown): string {
  if (!(error instanceof Error)) return maskSecrets(String(error));
  const code = (error as { code?: unknown }).code;
  const text =
    typeof code === "string" && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  // AggregateError (every address of a host refused) carries its reasons inside.
  const inner =
    error instanceof AggregateError && error.errors[0] instanceof Error
      ? ` (${error.errors[0].message})`
      : "";
  return maskSecrets((text || error.name) + inner);
}

/**
 * Whether a failure is about reaching the server (down, restarting, refusing, timing out, a connection cut)
 * rather than about the data: such a batch is spooled and retried, a data error is set aside (spool.ts).
 * SQLSTATE classes 08 (connection), 53 (resources), 57 (operator intervention: shutdown, restart) and
 * 28 (authentication) mean "try again later"; 22 (data) and 23 (constraint) mean "this batch will never fit".
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|23)[0-9A-Z]{3}$/.test(code);
}
