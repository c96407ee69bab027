import type { Database } from "better-sqlite3";
import type { KpiRecord, Logger, Sink, SinkRecord, UsageEvent } from "../types.js";
import { type PendingEvent, toPendingEvent } from "./event-row.js";
import { registerExitHooks } from "./exit-hooks.js";
import { createKpiWriter, type PendingKpi, toPendingKpi } from "./kpi-writer.js";
import { isMemoryPath, openDatabase } from "./open-database.js";
import { createEventWriter, type EventWriter } from "./writer.js";

export interface OpenLedgerOptions {
  logger: Logger;
  /** Events held in memory while the file is slow or unwritable; past it new events are dropped and counted. */
  maxBuffered?: number;
  /** Drain on beforeExit/exit/SIGINT/SIGTERM. Default true for files, false for `":memory:"`. */
  installExitHooks?: boolean;
  /** Events per transaction in background drains (flush and exit write everything, chunk by chunk). */
  batchSize?: number;
  /** How long a write may wait so that events arriving together share one transaction. */
  drainDelayMs?: number;
}

export interface LedgerStats {
  /** Events made durable (including re-sent duplicates, which the ledger ignores by id). */
  written: number;
  buffered: number;
  /** Events (and KPI records) lost: buffer full, invalid, written after shutdown, or still buffered at exit. */
  dropped: number;
  lastError?: string;
}

export const DEFAULT_MAX_BUFFERED = 100_000;
/** Per background transaction: ~50 ms of work, short enough not to stall the application. */
const DEFAULT_BATCH_SIZE = 5_000;
const FLUSH_BATCH_SIZE = 50_000;
const DEFAULT_DRAIN_DELAY_MS = 20;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 30_000;

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/**
 * The SQLite ledger as a Sink. `write` only snapshots and enqueues; a timer drains the queue in batched
 * transactions off the call path. Nothing here throws into the caller: failures become buffering, retries
 * with backoff, counted drops and logger warnings.
 */
export class LedgerSink implements Sink {
  readonly name = "ledger";
  readonly path: string;
  readonly #logger: Logger;
  readonly #maxBuffered: number;
  readonly #batchSize: number;
  readonly #drainDelayMs: number;
  #db: Database | null = null;
  #writer: EventWriter | null = null;
  #kpiWriter: ((batch: readonly PendingKpi[]) => void) | null = null;
  /** KPI records wait here and are written first in every drain (they are few); they share the buffer cap. */
  #kpis: PendingKpi[] = [];
  /** Pending events are queue[head..]; the head index avoids shifting the array on every batch. */
  #queue: PendingEvent[] = [];
  #head = 0;
  #written = 0;
  #dropped = 0;
  #reportedDropped = 0;
  #lastError: string | undefined;
  #failing = false;
  #retryDelayMs = 0;
  #retryAt = 0;
  #warnedFull = false;
  #warnedClosed = false;
  #warnedInvalid = false;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;
  #unregisterExitHooks: (() => void) | undefined;

  constructor(path: string, options: OpenLedgerOptions) {
    this.path = path;
    this.#logger = options.logger;
    this.#maxBuffered = positiveInt(options.maxBuffered, DEFAULT_MAX_BUFFERED, "maxBuffered");
    this.#batchSize = positiveInt(options.batchSize, DEFAULT_BATCH_SIZE, "batchSize");
    this.#drainDelayMs = options.drainDelayMs ?? DEFAULT_DRAIN_DELAY_MS;
    // Open now so a bad path is reported at startup rather than at the first event.
    this.#open();
    if (options.installExitHooks ?? !isMemoryPath(path)) {
      this.#unregisterExitHooks = registerExitHooks({
        drain: () => this.#drainAll(),
        finalReport: () => this.#finalReport(),
      });
    }
  }

  /** The open connection, for same-process readers (queries on a `":memory:"` ledger); null while failing. */
  get db(): Database | null {
    return this.#db;
  }

  write(batch: readonly SinkRecord[]): void {
    try {
      for (const record of batch) this.#enqueue(record.event);
      this.#schedule();
    } catch (error) {
      this.#warn(`costtrail: ledger sink failed to enqueue events: ${describe(error)}`);
    }
  }

  /** KPI records (recordKpi): buffered, retried and drained at exit exactly like events. */
  writeKpis(batch: readonly KpiRecord[]): void {
    try {
      for (const record of batch) {
        if (this.#closed || this.#buffered() >= this.#maxBuffered) {
          this.#drop();
          continue;
        }
        try {
          this.#kpis.push(toPendingKpi(record));
        } catch (error) {
          this.#drop();
          this.#warn(`costtrail: ledger dropped an invalid KPI record: ${describe(error)}`);
        }
      }
      this.#schedule();
    } catch (error) {
      this.#warn(`costtrail: ledger sink failed to enqueue KPIs: ${describe(error)}`);
    }
  }

  /** Writes everything buffered now (synchronously), then resolves. Never rejects. */
  async flush(): Promise<void> {
    this.#cancelScheduled();
    this.#drainAll();
    this.#schedule();
  }

  /** Flushes, reports anything that could not be written, removes exit hooks and closes the file. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#cancelScheduled();
    this.#drainAll();
    this.#finalReport();
    this.#closed = true;
    this.#unregisterExitHooks?.();
    this.#unregisterExitHooks = undefined;
    this.#closeDb();
  }

  stats(): LedgerStats {
    const stats: LedgerStats = { written: this.#written, buffered: this.#buffered(), dropped: this.#dropped };
    if (this.#lastError !== undefined) stats.lastError = this.#lastError;
    return stats;
  }

  #buffered(): number {
    return this.#queue.length - this.#head + this.#kpis.length;
  }

  #bufferedEvents(): number {
    return this.#queue.length - this.#head;
  }

  #enqueue(event: UsageEvent): void {
    if (this.#closed) {
      this.#drop();
      if (!this.#warnedClosed) {
        this.#warnedClosed = true;
        this.#warn(`costtrail: ledger ${this.path} is shut down; later events are dropped and counted`);
      }
      return;
    }
    if (this.#buffered() >= this.#maxBuffered) {
      this.#drop();
      if (!this.#warnedFull) {
        this.#warnedFull = true;
        const why = this.#failing ? ` while ${this.path} cannot be written` : "";
        this.#warn(
          `costtrail: ledger buffer is full (${this.#maxBuffered} events)${why}; new events are dropped and counted`,
        );
      }
      return;
    }
    let pending: PendingEvent;
    try {
      pending = toPendingEvent(event);
    } catch (error) {
      this.#drop();
      if (!this.#warnedInvalid) {
        this.#warnedInvalid = true;
        this.#warn(`costtrail: ledger dropped an invalid usage event: ${describe(error)}`);
      }
      return;
    }
    this.#queue.push(pending);
  }

  #drop(): void {
    this.#dropped++;
  }

  #schedule(): void {
    if (this.#closed || this.#buffered() === 0 || this.#immediate) return;
    const now = Date.now();
    if (this.#failing && now < this.#retryAt) {
      this.#startTimer(this.#retryAt - now);
    } else if (this.#bufferedEvents() >= this.#batchSize) {
      // A full batch is waiting: no reason to delay, but still yield to the caller first.
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        this.#backgroundDrain();
      });
    } else {
      this.#startTimer(this.#drainDelayMs);
    }
  }

  #startTimer(delayMs: number): void {
    if (this.#timer) return;
    // Unref'd: a pending drain must not keep the process alive; beforeExit/exit hooks write what is left.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#backgroundDrain();
    }, delayMs);
    this.#timer.unref();
  }

  #cancelScheduled(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  /** One batch per turn of the event loop, so a large backlog never blocks the application for long. */
  #backgroundDrain(): void {
    if (this.#closed) return;
    if (!this.#failing || Date.now() >= this.#retryAt) this.#drain(1, this.#batchSize);
    this.#schedule();
  }

  /**
   * flush(), shutdown() and exit write everything now, so the event loop is blocked either way: bigger
   * transactions then cost less in total (each index page touched is written to the WAL once per commit).
   */
  #drainAll(): void {
    this.#drain(Number.POSITIVE_INFINITY, Math.max(this.#batchSize, FLUSH_BATCH_SIZE));
  }

  #drain(maxBatches: number, batchSize: number): void {
    if (this.#kpis.length > 0) {
      if (!this.#open()) return;
      try {
        this.#kpiWriter!(this.#kpis);
      } catch (error) {
        this.#fail(error);
        return;
      }
      this.#kpis = [];
      if (this.#failing) this.#recovered();
    }
    for (let i = 0; i < maxBatches && this.#bufferedEvents() > 0; i++) {
      if (!this.#open()) return;
      const end = Math.min(this.#queue.length, this.#head + batchSize);
      const batch =
        this.#head === 0 && end === this.#queue.length ? this.#queue : this.#queue.slice(this.#head, end);
      try {
        this.#writer!(batch);
      } catch (error) {
        this.#fail(error);
        return;
      }
      this.#written += end - this.#head;
      this.#head = end;
      this.#compact();
      if (this.#failing) this.#recovered();
    }
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 4 * this.#batchSize && 2 * this.#head >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #open(): boolean {
    if (this.#writer) return true;
    try {
      this.#db = openDatabase(this.path);
      this.#writer = createEventWriter(this.#db);
      this.#kpiWriter = createKpiWriter(this.#db);
      // Recovery is declared after a successful write, not here: a read-only file opens fine, then fails.
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  #fail(error: unknown): void {
    this.#lastError = describe(error);
    // Start from a fresh connection next time: a handle that hit READONLY/CANTOPEN/IOERR may stay broken
    // after the cause is fixed. An in-memory ledger is kept (closing it would lose its contents).
    if (!isMemoryPath(this.path)) this.#closeDb();
    if (!this.#failing) {
      this.#failing = true;
      this.#retryDelayMs = RETRY_MIN_MS;
      this.#warn(
        `costtrail: cannot write ledger ${this.path} (${this.#lastError}); ` +
          `keeping up to ${this.#maxBuffered} events in memory and retrying`,
      );
    } else {
      this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, RETRY_MAX_MS);
    }
    this.#retryAt = Date.now() + this.#retryDelayMs;
  }

  #recovered(): void {
    this.#failing = false;
    this.#retryDelayMs = 0;
    this.#warnedFull = false;
    const lost = this.#dropped - this.#reportedDropped;
    this.#reportedDropped = this.#dropped;
    const message =
      `costtrail: ledger ${this.path} is writable again` +
      (lost > 0 ? `; ${lost} events were dropped meanwhile` : "");
    if (lost > 0) this.#warn(message);
    else this.#info(message);
  }

  /** The process (or the sink) is ending: whatever is still buffered is lost. Say so, with the count. */
  #finalReport(): void {
    const lost = this.#buffered();
    if (lost > 0) {
      this.#dropped += lost;
      this.#queue = [];
      this.#head = 0;
      this.#kpis = [];
    }
    const unreported = this.#dropped - this.#reportedDropped;
    if (unreported > 0) {
      this.#reportedDropped = this.#dropped;
      const cause = this.#lastError ? ` (last error: ${this.#lastError})` : "";
      this.#warn(`costtrail: ${unreported} usage events were not recorded in ledger ${this.path}${cause}`);
    }
  }

  #closeDb(): void {
    const db = this.#db;
    this.#db = null;
    this.#writer = null;
    this.#kpiWriter = null;
    try {
      db?.close();
    } catch {
      // Closing a broken handle can fail too; there is nothing left to release.
    }
  }

  #warn(message: string): void {
    try {
      this.#logger.warn(message);
    } catch {
      // A throwing logger must not break the caller's path.
    }
  }

  #info(message: string): void {
    try {
      (this.#logger.info ?? this.#logger.warn).call(this.#logger, message);
    } catch {
      // As above.
    }
  }
}

/** Opens (or creates) the ledger at `path` (`":memory:"` for an in-memory one) as a Sink. Never throws on I/O. */
export function openLedger(path: string, options: OpenLedgerOptions): LedgerSink {
  return new LedgerSink(path, options);
}
