import type pg from "pg";
import { maskSecrets } from "../location.js";

/**
 * Connections one process keeps to one Postgres ledger, shared by the ledger sink and the fleet limit gate
 * (docs/fleet.md, "Connections"): the sink writes one batch at a time (1), the gate's reservations are one
 * short statement each (the other 3 are plenty); 20 replicas stay below Postgres's default max_connections.
 */
export const POOL_SIZE = 4;
/**
 * How long one attempt waits for the server to accept a connection (or for a free one). A timeout alone is not
 * an outage: a loaded server, or a process whose event loop was busy starting up, can miss it (`isSlowAnswer`).
 */
export const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 10_000;
/** A server that stops answering mid-statement (a network partition) must fail it, not hang its user. */
const QUERY_TIMEOUT_MS = 60_000;

export interface PoolLease {
  readonly pool: pg.Pool;
  /** Gives the pool back; the last user's release ends it. Idempotent. */
  release(): Promise<void>;
}

interface Shared {
  readonly pool: Promise<pg.Pool>;
  users: number;
}

/** One pool per URL per process (`instrument()` gives the sink and the gate the same URL). */
const shared = new Map<string, Shared>();

/**
 * A lease on this process's pool for the ledger at `url`, opened on first use. The URL is passed to `pg` as is,
 * so TLS query parameters (`sslmode`, `sslrootcert`, …) and the password (from the URL, else `PGPASSWORD`) work
 * as in libpq (docs/fleet.md). Idle connections never keep the process alive.
 *
 * Sessions commit asynchronously (`synchronous_commit = off`): a limit reservation is a lease that must not wait
 * for a disk flush. The ledger's event batches, whose acknowledgement is what "nothing lost" rests on, switch it
 * back on for their own transaction (writer.ts).
 */
export async function leasePool(url: string, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<PoolLease> {
  let entry = shared.get(url);
  if (!entry) {
    entry = { pool: openPool(url, connectTimeoutMs), users: 0 };
    shared.set(url, entry);
  }
  const mine = entry;
  mine.users++;
  let pool: pg.Pool;
  try {
    pool = await mine.pool;
  } catch (error) {
    mine.users--;
    if (shared.get(url) === mine) shared.delete(url);
    throw error;
  }
  let released = false;
  return {
    pool,
    release: async () => {
      if (released) return;
      released = true;
      if (--mine.users > 0) return;
      if (shared.get(url) === mine) shared.delete(url);
      await pool.end().catch(() => {});
    },
  };
}

async function openPool(url: string, connectTimeoutMs: number): Promise<pg.Pool> {
  // Loaded on first use: a SQLite-only app never pays for the driver.
  const { default: driver } = await import("pg");
  const pool = new driver.Pool({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    allowExitOnIdle: true,
    query_timeout: QUERY_TIMEOUT_MS,
    application_name: "costtrail",
    options: "-c synchronous_commit=off",
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would crash the app. Its
  // users see the outage in their next statement, and report it there.
  pool.on("error", () => {});
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

/**
 * Whether a failure is only the server being slow to answer — a connection not accepted, a free connection not
 * found, or a statement not answered within its timeout — rather than a definite refusal (connection refused,
 * unknown host, authentication, no such database). Slowness is retried quietly for a while before it is called
 * an outage in a log line (`SLOW_ATTEMPTS_BEFORE_LOG`); a definite refusal is said at once.
 */
export function isSlowAnswer(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /timeout expired|connection timeout|timeout exceeded when trying to connect|Query read timeout/i.test(
    message,
  );
}

/** Slow attempts in a row (each a full timeout without an answer) before they are logged as an outage. */
export const SLOW_ATTEMPTS_BEFORE_LOG = 3;
