import { createHash } from "node:crypto";
import { join } from "node:path";
import type pg from "pg";
import { kpiDefinitionParams, UPSERT_KPI_DEFINITION } from "../../kpis/ledger-queries.js";
import type { KpiDefinition, KpiRecord, Logger, Sink, SinkRecord } from "../../types.js";
import { type PendingEvent, toPendingEvent } from "../event-row.js";
import { registerExitHooks } from "../exit-hooks.js";
import { type PendingKpi, toPendingKpi } from "../kpi-writer.js";
import { maskSecrets } from "../location.js";
import { Spool } from "../spool.js";
import { fromSpooled, type Spooled, toSpooled } from "../spooled-record.js";
import { toPostgresSql } from "./pg-sql.js";
import {
  CONNECT_TIMEOUT_MS,
  describePgError,
  isDataError,
  isSlowAnswer,
  leasePool,
  type PoolLease,
  SLOW_ATTEMPTS_BEFORE_LOG,
} from "./pool.js";
import { migratePostgres } from "./schema.js";
import { writePgBatch } from "./writer.js";

export interface PostgresLedgerOptions {
  logger: Logger;
  /** Events (and KPI records) held in memory between drains; past it new ones are dropped and counted. */
  maxBuffered?: number;
  /** Events per INSERT. */
  batchSize?: number;
  /** How long a write may wait so that events arriving together share one INSERT. */
  drainDelayMs?: number;
  /** Folder of spool folders (one per ledger): default `COSTTRAIL_SPOOL_DIR`, else `.costtrail/spool` (working directory). */
  spoolRoot?: string;
  /** Drain (or spool) on beforeExit/exit/SIGINT/SIGTERM. Default true. */
  installExitHooks?: boolean;
  /**
   * How long to wait for a connection before spooling instead. Default 5 s. The pool is shared with the limit
   * gate (pool.ts): the first of them to open it sets this.
   */
  connectTimeoutMs?: number;
}

export interface PostgresLedgerStats {
  /** Events the database acknowledged (re-sent duplicates included; the ledger keeps one). */
  written: number;
  /** In memory, waiting for the next drain. */
  buffered: number;
  /** Events this process put in the spool, and how many of the spool's events were replayed. */
  spooled: number;
  replayed: number;
  /** Lost: buffer full, spool full or unwritable, or written after shutdown. */
  dropped: number;
  /** Refused by the database as data; kept in a `.rejected` spool file. */
  rejected: number;
  lastError?: string;
}

interface Batch {
  events: PendingEvent[];
  kpis: PendingKpi[];
  /** Already copied to the spool by an exit hook while its INSERT was in flight. */
  spooled: boolean;
}

const DEFAULT_MAX_BUFFERED = 100_000;
const DEFAULT_BATCH_SIZE = 5_000;
const DEFAULT_DRAIN_DELAY_MS = 20;
/** Where a Postgres ledger's spool folders go by default, one per ledger (see `postgresSpoolDir`). */
export const DEFAULT_SPOOL_ROOT = ".costtrail/spool";
/** Overrides DEFAULT_SPOOL_ROOT: a container puts the spool on a volume that outlives it (docs/fleet.md). */
export const SPOOL_DIR_ENV = "COSTTRAIL_SPOOL_DIR";
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 30_000;

/** `?` placeholders to Postgres's `$1, $2, …` (the statements here have no `?` inside literals). */
async function storeDefinitions(client: pg.PoolClient, defs: readonly KpiDefinition[]): Promise<void> {
  const { text } = toPostgresSql(UPSERT_KPI_DEFINITION);
  const now = Date.now();
  for (const d of defs) await client.query(text, kpiDefinitionParams(d, now));
}

/**
 * The spool folder of one ledger: a hash of the server, port, database and user (never the password), so
 * processes of one ledger replay each other's files and never another ledger's.
 */
export function postgresSpoolDir(root: string, url: string): string {
  let identity = url;
  try {
    const u = new URL(url);
    identity = `${decodeURIComponent(u.username)}@${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    // Not parseable as a URL: hash it whole (config validation rejects such URLs before we get here).
  }
  return join(root, createHash("sha256").update(identity).digest("hex").slice(0, 16));
}

/**
 * The Postgres ledger as a Sink. `write` only snapshots and enqueues; a timer drains the queue in batched
 * INSERTs off the call path, one at a time. When the server cannot be reached, every batch, including one
 * whose INSERT failed mid-flight, goes to the durable spool, and is replayed when the server answers again;
 * replay is idempotent (event ids are the key). Nothing here throws into the caller.
 */
export class PostgresLedgerSink implements Sink {
  readonly name = "ledger";
  readonly url: string;
  /** The URL as logs may print it (password masked). */
  readonly label: string;
  readonly spool: Spool<Spooled>;
  /** Batches the server refused as data: kept for a person to look at, never replayed. */
  readonly #rejectedSpool: Spool<Spooled>;
  readonly #logger: Logger;
  readonly #maxBuffered: number;
  readonly #batchSize: number;
  readonly #drainDelayMs: number;
  readonly #connectTimeoutMs: number;
  #lease: PoolLease | undefined;
  #pool: pg.Pool | undefined;
  /** Attempts in a row that only timed out (the server slow, or this process busy): said once they persist. */
  #slowAttempts = 0;
  #warnedDown = false;
  #migrated = false;
  /** Statements run beside the event writes (`query`): flush and shutdown wait for them. */
  readonly #side = new Set<Promise<unknown>>();
  /** `instrument({ kpis })` definitions not yet stored (written after the next successful connect). */
  #definitions: readonly KpiDefinition[] = [];
  #events: PendingEvent[] = [];
  #kpis: PendingKpi[] = [];
  #inflight: Batch | undefined;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #down = false;
  #retryAt = 0;
  #retryDelayMs = 0;
  /** Set when the spool may hold files to replay (ours or a dead process's); checked once at start too. */
  #replayDue = true;
  #closed = false;
  #written = 0;
  #spooled = 0;
  #replayed = 0;
  #dropped = 0;
  #rejected = 0;
  #reportedLoss = 0;
  #lastError: string | undefined;
  #warnedFull = false;
  #warnedClosed = false;
  #warnedInvalid = false;
  #unregisterExitHooks: (() => void) | undefined;

  constructor(url: string, options: PostgresLedgerOptions) {
    this.url = url;
    this.label = maskSecrets(url);
    this.#logger = options.logger;
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#drainDelayMs = options.drainDelayMs ?? DEFAULT_DRAIN_DELAY_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const dir = postgresSpoolDir(
      options.spoolRoot ?? (process.env[SPOOL_DIR_ENV]?.trim() || DEFAULT_SPOOL_ROOT),
      url,
    );
    this.spool = new Spool<Spooled>(dir, { idOf: (r) => r.id });
    this.#rejectedSpool = new Spool<Spooled>(join(dir, "rejected"), { idOf: (r) => r.id });
    if (options.installExitHooks ?? true) {
      this.#unregisterExitHooks = registerExitHooks({
        beforeExit: () => {
          if (this.#buffered() > 0) this.#kick();
        },
        drain: () => this.#spoolEverything(),
        finalReport: () => this.#finalReport(),
      });
    }
    // Connect and migrate now, so a bad URL or password is reported at startup, and replay what a previous
    // process of this ledger left in the spool.
    this.#kick();
  }

  /** Stores KPI definitions (kind, goal, ROI role) in the ledger once it is reachable; the CLI reads them. */
  defineKpis(definitions: readonly KpiDefinition[]): void {
    if (definitions.length === 0) return;
    this.#definitions = definitions;
    this.#kick();
  }

  write(batch: readonly SinkRecord[]): void {
    try {
      for (const record of batch) {
        if (!this.#admit()) continue;
        try {
          this.#events.push(toPendingEvent(record.event));
        } catch (error) {
          this.#dropped++;
          if (!this.#warnedInvalid) {
            this.#warnedInvalid = true;
            this.#warn(`costtrail: ledger dropped an invalid usage event: ${describePgError(error)}`);
          }
        }
      }
      this.#schedule();
    } catch (error) {
      this.#warn(`costtrail: ledger sink failed to enqueue events: ${describePgError(error)}`);
    }
  }

  writeKpis(batch: readonly KpiRecord[]): void {
    try {
      for (const record of batch) {
        if (!this.#admit()) continue;
        try {
          this.#kpis.push(toPendingKpi(record));
        } catch (error) {
          this.#dropped++;
          this.#warn(`costtrail: ledger dropped an invalid KPI record: ${describePgError(error)}`);
        }
      }
      this.#schedule();
    } catch (error) {
      this.#warn(`costtrail: ledger sink failed to enqueue KPIs: ${describePgError(error)}`);
    }
  }

  /**
   * Resolves once everything recorded so far is in the database, or, when it cannot be reached, in the
   * spool. Never rejects.
   */
  async flush(): Promise<void> {
    await Promise.all(this.#side);
    this.#cancelTimer();
    await this.#running;
    // One pass that tries the server now, backoff or not: writes memory and replays the spool …
    this.#kick(true);
    await this.#running;
    // … then whatever was written meanwhile (a pass with the server down spools it, so this ends).
    for (let i = 0; i < 100 && this.#buffered() > 0; i++) {
      this.#kick(true);
      await this.#running;
    }
  }

  /** Flushes (or spools), reports what could not be written, closes the pool. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    this.#spoolEverything();
    this.#finalReport();
    this.#unregisterExitHooks?.();
    this.#unregisterExitHooks = undefined;
    this.#cancelTimer();
    const lease = this.#lease;
    this.#lease = undefined;
    this.#pool = undefined;
    await lease?.release();
  }

  /**
   * One statement beside the event writes (the batch scopes, src/ledger/postgres/batch-scopes.ts), on the
   * sink's pool once its own pass has connected and migrated; rejects while the server is down. Flush and
   * shutdown wait for it.
   */
  query<R>(text: string, params: readonly unknown[]): Promise<R[]> {
    const run = (async () => {
      await this.#running;
      const pool = this.#pool;
      if (this.#closed || this.#down || !this.#migrated || !pool)
        throw new Error(`ledger ${this.label} cannot be reached now`);
      return (await pool.query(text, params as unknown[])).rows as R[];
    })();
    const settled = run.then(
      () => {},
      () => {},
    );
    this.#side.add(settled);
    void settled.then(() => this.#side.delete(settled));
    return run;
  }

  stats(): PostgresLedgerStats {
    const s: PostgresLedgerStats = {
      written: this.#written,
      buffered: this.#buffered(),
      spooled: this.#spooled,
      replayed: this.#replayed,
      dropped: this.#dropped,
      rejected: this.#rejected,
    };
    if (this.#lastError !== undefined) s.lastError = this.#lastError;
    return s;
  }

  #buffered(): number {
    return this.#events.length + this.#kpis.length;
  }

  #admit(): boolean {
    if (this.#closed) {
      this.#dropped++;
      if (!this.#warnedClosed) {
        this.#warnedClosed = true;
        this.#warn(`costtrail: ledger ${this.label} is shut down; later events are dropped and counted`);
      }
      return false;
    }
    if (this.#buffered() >= this.#maxBuffered) {
      this.#dropped++;
      if (!this.#warnedFull) {
        this.#warnedFull = true;
        this.#warn(
          `costtrail: ledger buffer is full (${this.#maxBuffered} events); new events are dropped and counted`,
        );
      }
      return false;
    }
    return true;
  }

  #schedule(): void {
    if (this.#closed || this.#timer || this.#buffered() === 0) return;
    const delay = this.#events.length >= this.#batchSize ? 0 : this.#drainDelayMs;
    // Unref'd: a pending drain must not keep the process alive; the exit hooks write what is left.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#kick();
    }, delay);
    this.#timer.unref();
  }

  #cancelTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Starts a run unless one is going. `now`: retry the server even before the backoff is over (flush). */
  #kick(now = false): void {
    if (this.#running) return;
    if (now) this.#retryAt = 0;
    this.#running = this.#run()
      .catch((error) => this.#warn(`costtrail: ledger ${this.label}: ${describePgError(error)}`))
      .finally(() => {
        this.#running = undefined;
        this.#schedule();
      });
  }

  /** One pass: reach the server (or spool), replay the spool, then write the queue batch by batch. */
  async #run(): Promise<void> {
    if (this.#down && Date.now() < this.#retryAt) {
      this.#spoolMemory();
      this.#retryLater();
      return;
    }
    if (!(await this.#connect())) {
      this.#spoolMemory();
      return;
    }
    if (this.#replayDue && !(await this.#replay())) {
      this.#spoolMemory();
      return;
    }
    while (this.#buffered() > 0) {
      const events =
        this.#events.length <= this.#batchSize ? this.#events : this.#events.slice(0, this.#batchSize);
      this.#events = events === this.#events ? [] : this.#events.slice(events.length);
      const batch: Batch = { events, kpis: this.#kpis, spooled: false };
      this.#kpis = [];
      if (!(await this.#write(batch))) {
        this.#spoolMemory();
        return;
      }
    }
  }

  /** Connects and migrates once. False (and the sink is marked down) when the server cannot be used. */
  async #connect(): Promise<boolean> {
    if (this.#migrated && !this.#down && this.#definitions.length === 0) return true;
    let client: pg.PoolClient | undefined;
    try {
      this.#lease ??= await leasePool(this.url, this.#connectTimeoutMs);
      this.#pool = this.#lease.pool;
      client = await this.#pool.connect();
      if (!this.#migrated) await migratePostgres(client);
      if (this.#definitions.length > 0) {
        await storeDefinitions(client, this.#definitions);
        this.#definitions = [];
      }
      client.release();
      this.#migrated = true;
      return true;
    } catch (error) {
      // Drop this connection: a session that failed inside the migration may still hold its advisory lock.
      client?.release(true);
      this.#markDown(error);
      return false;
    }
  }

  /** One batch in one transaction. On failure the batch goes to the spool (or aside, if it is bad data). */
  async #write(batch: Batch): Promise<boolean> {
    this.#inflight = batch;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#pool!.connect();
      await writePgBatch(client, batch.events, batch.kpis);
      client.release();
      this.#written += batch.events.length;
      if (this.#down) this.#recovered();
      return true;
    } catch (error) {
      client?.release(true);
      if (isDataError(error)) {
        this.#setAside(batch, error);
        return true;
      }
      if (!batch.spooled) this.#toSpool(batch.events, batch.kpis);
      this.#markDown(error);
      return false;
    } finally {
      this.#inflight = undefined;
    }
  }

  /** Writes every claimable spool file to the database, a file at a time; a file is deleted once written. */
  async #replay(): Promise<boolean> {
    let segments: string[];
    try {
      segments = this.spool.claim();
    } catch (error) {
      this.#warn(`costtrail: cannot read the spool ${this.spool.dir}: ${describePgError(error)}`);
      return true;
    }
    this.#replayDue = false;
    const seen = new Set<string>();
    for (const segment of segments) {
      const records = this.spool.read(segment, seen);
      if (records === undefined) continue;
      const { events, kpis } = fromSpooled(records);
      let client: pg.PoolClient | undefined;
      try {
        client = await this.#pool!.connect();
        for (let i = 0; i === 0 || i < events.length; i += this.#batchSize) {
          await writePgBatch(client, events.slice(i, i + this.#batchSize), i === 0 ? kpis : []);
        }
        client.release();
      } catch (error) {
        client?.release(true);
        if (isDataError(error)) {
          this.#setAside({ events, kpis, spooled: false }, error);
          this.spool.remove(segment);
          continue;
        }
        // The segment stays claimed; the next pass replays it (replay skips what is already in).
        this.#replayDue = true;
        this.#markDown(error);
        return false;
      }
      this.spool.remove(segment);
      this.#replayed += events.length;
    }
    if (this.#down) this.#recovered();
    return true;
  }

  /** Everything in memory goes to the spool (synchronously): the server is down, or the process ends. */
  #spoolMemory(): void {
    if (this.#buffered() === 0) return;
    const events = this.#events;
    const kpis = this.#kpis;
    this.#events = [];
    this.#kpis = [];
    this.#toSpool(events, kpis);
  }

  /** Exit, signal or shutdown: memory and the batch whose INSERT may not finish go to the spool. */
  #spoolEverything(): void {
    this.#cancelTimer();
    const inflight = this.#inflight;
    if (inflight && !inflight.spooled) {
      // If its INSERT commits after all, replay finds the ids present and skips them.
      inflight.spooled = true;
      this.#toSpool(inflight.events, inflight.kpis);
    }
    this.#spoolMemory();
  }

  #toSpool(events: readonly PendingEvent[], kpis: readonly PendingKpi[]): void {
    const n = events.length + kpis.length;
    if (n === 0) return;
    try {
      this.spool.append([...events.map(toSpooled.event), ...kpis.map(toSpooled.kpi)]);
      this.#spooled += events.length;
      this.#replayDue = true;
    } catch (error) {
      this.#dropped += n;
      this.#warn(
        `costtrail: cannot write the ledger spool ${this.spool.dir} (${describePgError(error)}); ${n} records are dropped`,
      );
    }
  }

  #setAside(batch: Batch, error: unknown): void {
    const n = batch.events.length + batch.kpis.length;
    try {
      this.#rejectedSpool.append([...batch.events.map(toSpooled.event), ...batch.kpis.map(toSpooled.kpi)]);
      const path = this.#rejectedSpool.dir;
      this.#rejected += batch.events.length;
      this.#warn(
        `costtrail: ledger ${this.label} refused a batch of ${n} records (${describePgError(error)}); kept in ${path}`,
      );
    } catch (spoolError) {
      this.#dropped += n;
      this.#warn(
        `costtrail: ledger ${this.label} refused a batch of ${n} records (${describePgError(error)}) and it could not be kept (${describePgError(spoolError)})`,
      );
    }
  }

  /**
   * The server cannot be used: spool and retry. A definite refusal is said at once; a timeout only once
   * SLOW_ATTEMPTS_BEFORE_LOG attempts in a row have timed out (a server slow to accept under a fleet's startup,
   * or this process's event loop busy loading, is not an outage; the events wait in the spool meanwhile).
   */
  #markDown(error: unknown): void {
    this.#lastError = describePgError(error);
    this.#slowAttempts = isSlowAnswer(error) ? this.#slowAttempts + 1 : SLOW_ATTEMPTS_BEFORE_LOG;
    if (!this.#down) {
      this.#down = true;
      this.#retryDelayMs = RETRY_MIN_MS;
    } else {
      this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, RETRY_MAX_MS);
    }
    if (!this.#warnedDown && this.#slowAttempts >= SLOW_ATTEMPTS_BEFORE_LOG) {
      this.#warnedDown = true;
      const why = isSlowAnswer(error)
        ? `no answer within ${this.#connectTimeoutMs / 1000} s, ${this.#slowAttempts} attempts in a row: ${this.#lastError}`
        : this.#lastError;
      this.#warn(
        `costtrail: cannot write ledger ${this.label} (${why}); spooling events to ${this.spool.dir} and retrying`,
      );
    }
    this.#retryAt = Date.now() + this.#retryDelayMs;
    this.#retryLater();
  }

  /** While down, a retry is due even with nothing new to write: the spool is waiting. */
  #retryLater(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#kick();
      },
      Math.max(0, this.#retryAt - Date.now()),
    );
    this.#timer.unref();
  }

  #recovered(): void {
    this.#down = false;
    this.#retryDelayMs = 0;
    this.#slowAttempts = 0;
    this.#warnedFull = false;
    if (!this.#warnedDown) return;
    this.#warnedDown = false;
    this.#info(`costtrail: ledger ${this.label} is reachable again; spooled events are replayed`);
  }

  /** The process (or the sink) ends: say what is not in the database, and where it is. */
  #finalReport(): void {
    const lost = this.#dropped - this.#reportedLoss;
    if (lost > 0) {
      this.#reportedLoss = this.#dropped;
      const cause = this.#lastError ? ` (last error: ${this.#lastError})` : "";
      this.#warn(`costtrail: ${lost} usage events were not recorded in ledger ${this.label}${cause}`);
    }
    if (this.#spooled > this.#replayed && this.spool.hasRecords()) {
      this.#warn(
        `costtrail: usage events wait in the spool ${this.spool.dir}; the next process of ledger ${this.label} replays them`,
      );
    }
  }

  #warn(message: string): void {
    try {
      this.#logger.warn(maskSecrets(message));
    } catch {
      // A throwing logger must not break the caller's path.
    }
  }

  #info(message: string): void {
    try {
      (this.#logger.info ?? this.#logger.warn).call(this.#logger, maskSecrets(message));
    } catch {
      // As above.
    }
  }
}
