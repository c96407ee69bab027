import type { Worker } from "node:worker_threads";
import type { Database } from "better-sqlite3";
import type { KpiRecord, Logger, Sink, SinkRecord, UsageEvent } from "../types.js";
import { BatchEncoder } from "./batch-encoder.js";
import { type PendingEvent, toPendingEvent } from "./event-row.js";
import { registerExitHooks } from "./exit-hooks.js";
import { createKpiWriter, type PendingKpi, toPendingKpi } from "./kpi-writer.js";
import { isMemoryPath, openDatabase } from "./open-database.js";
import { Spool, spoolDirFor } from "./spool.js";
import { type Spooled, spooledOfFrame } from "./spooled-record.js";
import { SIGNAL, type ToWriter, type WriterProgress } from "./worker-protocol.js";
import { createEventWriter } from "./writer.js";
import { startWriterThread } from "./writer-thread.js";

export interface OpenLedgerOptions {
  logger: Logger;
  /**
   * Events (and KPI records) held in memory — queued here or handed to the writer thread and not yet in the file
   * or the spool. Past it new events are spilled to the spool (file ledgers) or, if that fails too, dropped and
   * counted. Default 100,000.
   */
  maxBuffered?: number;
  /** Drain on beforeExit/exit/SIGINT/SIGTERM. Default true for files, false for `":memory:"`. */
  installExitHooks?: boolean;
  /** Events per message to the writer thread (full batches are handed over at once, ~0.5 ms of them a turn). Default 128. */
  batchSize?: number;
  /** The flush interval: how long an event may wait before it is handed to the writer. Default 20 ms. */
  drainDelayMs?: number;
  /** A batch the file cannot take (locked, unwritable) for this long is spilled to the spool. Default 1000 ms. */
  spillAfterMs?: number;
}

export interface LedgerStats {
  /** Events made durable in the file (including replayed and re-sent ones, which the ledger ignores by id). */
  written: number;
  /** Held in memory: queued, or with the writer thread and not yet durable. */
  buffered: number;
  /** Spilled to the spool and not replayed yet (docs/ledger.md). */
  spooled: number;
  /** Events (and KPI records) lost: invalid, written after shutdown, or neither writable nor spillable. */
  dropped: number;
  lastError?: string;
}

export const DEFAULT_MAX_BUFFERED = 100_000;
/**
 * Events per batch posted to the writer thread (each encoded in `write()`, batch-encoder.ts: ~1.3–1.9 µs an event
 * on a loaded 2-vCPU VM, docs/benchmarks.md "Event-loop delay: what the long app-thread pauses were (issue 19,
 * session 6)"); a batch is one message and one ack.
 */
const DEFAULT_BATCH_SIZE = 128;
/**
 * A turn hands over batches while the queue holds a full one and this much time has not passed (at least one):
 * a backlog drains at several batches a turn, and no turn gives the ledger much more than half a millisecond.
 */
const HANDOVER_BUDGET_MS = 0.5;
const DEFAULT_DRAIN_DELAY_MS = 20;
const DEFAULT_SPILL_AFTER_MS = 1_000;
/** Events per background transaction in the writer thread. */
const TX_EVENTS = 5_000;
/** How long exit waits for the writer thread before spooling from this thread instead. */
const EXIT_WAIT_MS = 5_000;
/**
 * The fallback when the writer thread is gone, or not acknowledging (stuck): events past the bound are spooled from
 * this thread, a batch per turn of its own (encoded like a posted batch, one write of its bytes).
 */
const OVERFLOW_CHUNK = DEFAULT_BATCH_SIZE;
/** Overflow held past this (events written faster than turns pass) is spilled at once, in `write()`. */
const OVERFLOW_NOW = 1_000;
const MAX_THREAD_RESTARTS = 3;

/** A batch as its bytes (shared with the writer thread): no object of it stays on this thread's heap. */
interface Encoded {
  data: Uint8Array;
  /** Events and KPI records in it. */
  count: number;
}

/** A posted batch, kept until acknowledged. */
interface Posted extends Encoded {
  seq: number;
}

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
 * The SQLite ledger as a Sink. `write` only snapshots and encodes (batch-encoder.ts); every flush interval (or
 * full batch) the queue is handed to a writer thread that owns the write connection and commits one transaction
 * per batch, so neither a big backlog nor another process holding the write lock ever blocks the application. What the file cannot take
 * is spilled to a spool beside it and replayed later (docs/ledger.md). A `":memory:"` ledger is written on this
 * thread (it has no other connection and no lock to wait for). Nothing here throws into the caller.
 */
export class LedgerSink implements Sink {
  readonly name = "ledger";
  readonly path: string;
  readonly #logger: Logger;
  readonly #maxBuffered: number;
  readonly #batchSize: number;
  readonly #drainDelayMs: number;
  readonly #spillAfterMs: number;
  readonly #memory: boolean;
  /** A connection on this thread: the whole ledger for `":memory:"`; for files, startup work (migrations, KPI
   * and limit definitions) and same-process readers. Events never go through it for files. */
  #db: Database | null = null;
  #inlineWrite: ((events: readonly PendingEvent[], kpis: readonly PendingKpi[]) => void) | null = null;
  #thread: Worker | null = null;
  #threadRestarts = 0;
  #spool: Spool<Spooled> | null = null;
  #seq = 0;
  /** `":memory:"` only: events waiting for the next inline write. */
  #queue: PendingEvent[] = [];
  /** Files: events since the last batch was cut, already encoded (batch-encoder.ts), so none stays an object. */
  readonly #open = new BatchEncoder();
  /** Files: full batches cut in `write()`, handed to the writer thread after the caller's turn. */
  #ready: Encoded[] = [];
  #readyCount = 0;
  #kpis: PendingKpi[] = [];
  /** Handed to the writer thread, not acknowledged yet: kept so that exit can spool them if the thread is gone. */
  #posted: Posted[] = [];
  #postedCount = 0;
  /** Past the bound (thread gone or stuck): waiting to be spilled from this thread, encoded as they come, cut into
   * frames of OVERFLOW_CHUNK. */
  readonly #overflow = new BatchEncoder();
  #overflowFrames: Encoded[] = [];
  #overflowFramesCount = 0;
  #overflowKpis: PendingKpi[] = [];
  #progress: WriterProgress = {
    t: "progress",
    acked: 0,
    written: 0,
    spilled: 0,
    replayed: 0,
    held: 0,
    failing: false,
  };
  #inlineWritten = 0;
  #mainSpilled = 0;
  #dropped = 0;
  #reportedDropped = 0;
  #lastError: string | undefined;
  #failing = false;
  #warnedFull = false;
  #warnedClosed = false;
  #warnedInvalid = false;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #flushWaiters: { seq: number; resolve: () => void }[] = [];
  #closed = false;
  /** The sequence number of the last exit drain: nothing posted since means nothing to drain again. */
  #drainedAt = -1;
  #unregisterExitHooks: (() => void) | undefined;

  constructor(path: string, options: OpenLedgerOptions) {
    this.path = path;
    this.#logger = options.logger;
    this.#memory = isMemoryPath(path);
    this.#maxBuffered = positiveInt(options.maxBuffered, DEFAULT_MAX_BUFFERED, "maxBuffered");
    this.#batchSize = positiveInt(options.batchSize, DEFAULT_BATCH_SIZE, "batchSize");
    this.#drainDelayMs = options.drainDelayMs ?? DEFAULT_DRAIN_DELAY_MS;
    this.#spillAfterMs = options.spillAfterMs ?? DEFAULT_SPILL_AFTER_MS;
    // Open now so a bad path is reported at startup rather than at the first event (and migrations run once,
    // here, before the writer thread opens its own connection).
    try {
      this.#db = openDatabase(path);
      if (this.#memory) {
        const events = createEventWriter(this.#db);
        const kpis = createKpiWriter(this.#db);
        this.#inlineWrite = (e, k) => {
          if (k.length > 0) kpis(k);
          if (e.length > 0) events(e);
        };
      }
    } catch (error) {
      this.#fail(describe(error));
    }
    if (!this.#memory) {
      this.#spool = new Spool<Spooled>(spoolDirFor(path), {
        idOf: (r) => r.id,
        segmentBytes: 0,
        decodeFrame: spooledOfFrame,
      });
      this.#startThread();
    }
    if (options.installExitHooks ?? !this.#memory) {
      this.#unregisterExitHooks = registerExitHooks({
        drain: () => this.#drainSync(),
        finalReport: () => this.#finalReport(),
      });
    }
  }

  /** The connection on this thread (for `":memory:"` queries and startup work); null when closed or failing. */
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

  /** KPI records (recordKpi): buffered, spilled and drained at exit exactly like events. */
  writeKpis(batch: readonly KpiRecord[]): void {
    try {
      for (const record of batch) {
        if (this.#closed) {
          this.#dropped++;
          continue;
        }
        let pending: PendingKpi;
        try {
          pending = toPendingKpi(record);
        } catch (error) {
          this.#dropped++;
          this.#warn(`costtrail: ledger dropped an invalid KPI record: ${describe(error)}`);
          continue;
        }
        if (this.#buffered() >= this.#maxBuffered) {
          this.#overflowKpis.push(pending);
          this.#overflowCheck();
        } else this.#kpis.push(pending);
      }
      this.#schedule();
    } catch (error) {
      this.#warn(`costtrail: ledger sink failed to enqueue KPIs: ${describe(error)}`);
    }
  }

  /** Makes everything written so far durable (in the file, or else in the spool), then resolves. Never rejects. */
  async flush(): Promise<void> {
    await this.#flush(false);
  }

  /** Flushes, replays the spool if it can, reports anything that could not be kept, closes. Never rejects. */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unregisterExitHooks?.();
    this.#unregisterExitHooks = undefined;
    await this.#flush(true);
    this.#finalReport();
    const thread = this.#thread;
    this.#thread = null;
    if (thread) await thread.terminate().catch(() => {});
    this.#closeDb();
  }

  stats(): LedgerStats {
    const p = this.#progress;
    const stats: LedgerStats = {
      written: this.#inlineWritten + p.written + p.replayed,
      buffered: this.#buffered(),
      spooled: Math.max(0, p.spilled + this.#mainSpilled - p.replayed),
      dropped: this.#dropped,
    };
    if (this.#lastError !== undefined) stats.lastError = this.#lastError;
    return stats;
  }

  // ---- queue ----------------------------------------------------------------------------------------------

  #buffered(): number {
    return this.#queued() + this.#postedCount + this.#overflowed();
  }

  /** Not handed over yet. */
  #queued(): number {
    return this.#queue.length + this.#open.count + this.#readyCount + this.#kpis.length;
  }

  #overflowed(): number {
    return this.#overflow.count + this.#overflowFramesCount + this.#overflowKpis.length;
  }

  #enqueue(event: UsageEvent): void {
    if (this.#closed) {
      this.#dropped++;
      if (!this.#warnedClosed) {
        this.#warnedClosed = true;
        this.#warn(`costtrail: ledger ${this.path} is shut down; later events are dropped and counted`);
      }
      return;
    }
    let pending: PendingEvent;
    try {
      pending = toPendingEvent(event);
    } catch (error) {
      this.#dropped++;
      if (!this.#warnedInvalid) {
        this.#warnedInvalid = true;
        this.#warn(`costtrail: ledger dropped an invalid usage event: ${describe(error)}`);
      }
      return;
    }
    // Past the bound only when the writer thread is gone or not acknowledging: under mere overload it spools the
    // excess of its own backlog (spillExcess in ledger-worker.ts) and its acknowledgements keep us under the bound.
    try {
      if (this.#buffered() >= this.#maxBuffered) {
        this.#overflow.add(pending);
        if (this.#overflow.count >= OVERFLOW_CHUNK) this.#cutOverflow();
        this.#overflowCheck();
      } else if (this.#memory) this.#queue.push(pending);
      else {
        this.#open.add(pending);
        if (this.#open.count >= this.#batchSize) this.#cut();
      }
    } catch (error) {
      // Cannot happen for converted events (strings, numbers, null); if it does, it is counted, not thrown.
      this.#dropped++;
      this.#fail(describe(error));
    }
  }

  /** The open batch (and the KPI records waiting) becomes a batch of bytes, ready to hand over. */
  #cut(): void {
    const batch = this.#take(this.#open, this.#kpis);
    this.#kpis = [];
    if (!batch) return;
    this.#ready.push(batch);
    this.#readyCount += batch.count;
  }

  #cutOverflow(): void {
    const batch = this.#take(this.#overflow, this.#overflowKpis);
    this.#overflowKpis = [];
    if (!batch) return;
    this.#overflowFrames.push(batch);
    this.#overflowFramesCount += batch.count;
  }

  /** The encoder's events and `kpis` as one batch; undefined if empty, or (counted) if it cannot be encoded. */
  #take(encoder: BatchEncoder, kpis: readonly PendingKpi[]): Encoded | undefined {
    const count = encoder.count + kpis.length;
    if (count === 0) return undefined;
    try {
      return { data: encoder.take(kpis), count };
    } catch (error) {
      // Cannot happen for validated KPI records (strings, numbers, null, bigint); if it does, counted, not thrown.
      encoder.clear();
      this.#fail(describe(error));
      this.#dropped += count;
      return undefined;
    }
  }

  /** A burst within one turn (no chance to spill between): spill now rather than hold more in memory. */
  #overflowCheck(): void {
    if (this.#overflowed() >= OVERFLOW_NOW) this.#spillOverflow();
  }

  /** Spills one chunk of the overflow (the scheduler calls it once per turn while there is more). */
  #spillChunk(): void {
    const first = this.#overflowFrames.shift();
    if (!first) {
      this.#spillOverflow();
      return;
    }
    this.#overflowFramesCount -= first.count;
    this.#spillFrames([first.data], first.count);
  }

  #spillOverflow(): void {
    this.#cutOverflow();
    if (this.#overflowFrames.length === 0) return;
    const frames = this.#overflowFrames;
    const count = this.#overflowFramesCount;
    this.#overflowFrames = [];
    this.#overflowFramesCount = 0;
    this.#spillFrames(
      frames.map((f) => f.data),
      count,
    );
  }

  /** Spools encoded batches from this thread (the fallback: see #enqueue); drops and counts if it cannot. */
  #spillFrames(frames: Uint8Array[], count: number): void {
    if (count === 0) return;
    if (this.#spool) {
      try {
        this.#spool.appendFrames(frames);
        this.#mainSpilled += count;
        this.#post({ t: "spooled", seq: ++this.#seq });
        return;
      } catch (error) {
        this.#warnFull(` and its spool cannot be written (${describe(error)})`);
      }
    } else this.#warnFull("");
    this.#dropped += count;
  }

  #warnFull(why: string): void {
    if (this.#warnedFull) return;
    this.#warnedFull = true;
    const where = this.#failing ? ` while ${this.path} cannot be written` : "";
    this.#warn(
      `costtrail: ledger buffer is full (${this.#maxBuffered} events)${where}${why}; new events are dropped and counted`,
    );
  }

  #schedule(): void {
    if (this.#closed || this.#immediate) return;
    if (this.#queued() + this.#overflowed() === 0) return;
    if (this.#fullBatch() || this.#overflowed() >= OVERFLOW_CHUNK) {
      // A full batch (or overflow chunk) is waiting: hand it over after the caller's turn, without waiting for the
      // interval, one message (or one spool append) per turn so that no turn takes the ledger more than ~1 ms.
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        if (this.#overflowed() >= OVERFLOW_CHUNK) this.#spillChunk();
        else {
          const start = performance.now();
          do this.#handOverOne();
          while (this.#fullBatch() && performance.now() - start < HANDOVER_BUDGET_MS);
        }
        this.#schedule();
      });
    } else if (!this.#timer) {
      // Unref'd: a pending hand-over must not keep the process alive; the exit hooks write what is left.
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#handOver();
        this.#schedule();
      }, this.#drainDelayMs);
      this.#timer.unref();
    }
  }

  #cancelScheduled(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  /** A full batch waits to be handed over. */
  #fullBatch(): boolean {
    return this.#ready.length > 0 || this.#queue.length >= this.#batchSize;
  }

  /** Hands one batch from the front of the queue to the writer: a background turn's share of the work. */
  #handOverOne(): void {
    if (!this.#memory) {
      if (this.#ready.length === 0) this.#cut();
      const batch = this.#ready.shift();
      if (!batch) return;
      this.#readyCount -= batch.count;
      this.#postBatch(batch);
      return;
    }
    if (this.#queue.length === 0 && this.#kpis.length === 0) return;
    const events =
      this.#queue.length <= this.#batchSize ? this.#queue : this.#queue.slice(0, this.#batchSize);
    this.#queue = events === this.#queue ? [] : this.#queue.slice(this.#batchSize);
    const kpis = this.#kpis;
    this.#kpis = [];
    this.#writeInline(events, kpis);
  }

  /** Hands the whole queue to the writer (thread, or the in-memory connection), batch by batch. */
  #handOver(): void {
    this.#spillOverflow();
    while (this.#queued() > 0) this.#handOverOne();
  }

  #writeInline(events: PendingEvent[], kpis: PendingKpi[]): void {
    try {
      if (!this.#inlineWrite) throw new Error(this.#lastError ?? "the in-memory ledger is closed");
      this.#inlineWrite(events, kpis);
      this.#inlineWritten += events.length + kpis.length;
    } catch (error) {
      this.#fail(describe(error));
      this.#dropped += events.length + kpis.length;
    }
  }

  #postBatch({ data, count }: Encoded): void {
    if (!this.#thread) {
      // No writer thread (it could not start, or failed too often): the spool keeps them for the next process.
      this.#spillFrames([data], count);
      return;
    }
    const seq = ++this.#seq;
    this.#posted.push({ seq, data, count });
    this.#postedCount += count;
    this.#post({ t: "write", seq, data, count });
  }

  #post(message: ToWriter): void {
    try {
      this.#thread?.postMessage(message);
    } catch (error) {
      this.#fail(describe(error));
    }
  }

  // ---- flush ------------------------------------------------------------------------------------------------

  async #flush(close: boolean): Promise<void> {
    this.#cancelScheduled();
    this.#handOver();
    if (!this.#thread) return;
    const seq = ++this.#seq;
    const done = new Promise<void>((resolve) => this.#flushWaiters.push({ seq, resolve }));
    // Someone awaits this flush: the thread's answer must keep the process alive until it comes.
    const thread = this.#thread;
    thread.ref();
    this.#post({ t: "flush", seq, close });
    await done;
    if (this.#flushWaiters.length === 0) thread.unref();
    if (!close) this.#schedule();
  }

  /**
   * Process exit: no async work is possible, so hand everything over and block (Atomics.wait) until the writer
   * thread has written or spilled it. If the thread does not answer in time, spool it all from this thread.
   */
  #drainSync(): void {
    this.#cancelScheduled();
    if (this.#closed) return;
    this.#handOver();
    // Nothing new since the last drain: beforeExit fires again after every message the thread sends back.
    if (!this.#thread || this.#seq === this.#drainedAt) return;
    if (this.#postedCount === 0 && this.#posted.length === 0) return;
    const signal = new Int32Array(new SharedArrayBuffer(SIGNAL.length * 4));
    this.#post({ t: "flush", seq: ++this.#seq, signal });
    this.#drainedAt = this.#seq;
    const answer = Atomics.wait(signal, SIGNAL.done, 0, EXIT_WAIT_MS);
    if (answer !== "timed-out") {
      const held = Atomics.load(signal, SIGNAL.held);
      this.#progress = {
        ...this.#progress,
        held,
        written: Atomics.load(signal, SIGNAL.written),
        spilled: Atomics.load(signal, SIGNAL.spilled),
      };
      // The thread's answer is the truth now: what it still holds could go neither to the file nor the spool.
      this.#posted = [];
      this.#postedCount = held;
      return;
    }
    // The writer thread is stuck or gone: keep the events in the spool (duplicates are ignored on replay).
    this.#spillPosted();
    this.#spillOverflow();
  }

  /** The posted batches, unacknowledged, to the spool from this thread (the thread is gone or stuck). */
  #spillPosted(): void {
    const frames = this.#posted.map((p) => p.data);
    // Counted from the batches themselves: after an exit drain #postedCount is the thread's own figure.
    const count = this.#posted.reduce((n, p) => n + p.count, 0);
    this.#clearPosted();
    this.#spillFrames(frames, count);
  }

  #clearPosted(): void {
    this.#posted = [];
    this.#postedCount = 0;
  }

  // ---- the writer thread -------------------------------------------------------------------------------

  #startThread(): void {
    let thread: Worker;
    try {
      thread = startWriterThread({
        path: this.path,
        spoolDir: spoolDirFor(this.path),
        spillAfterMs: this.#spillAfterMs,
        txEvents: TX_EVENTS,
        maxHeld: Math.max(1, Math.floor(this.#maxBuffered / 2)),
      });
    } catch (error) {
      this.#fail(describe(error));
      return;
    }
    thread.on("message", (p: WriterProgress) => this.#onProgress(p));
    thread.on("error", (error) => this.#onThreadGone(thread, error));
    thread.on("exit", () => this.#onThreadGone(thread, undefined));
    // After the listeners (adding one re-refs the port): the thread must never keep the process alive.
    thread.unref();
    this.#thread = thread;
  }

  #onProgress(p: WriterProgress): void {
    this.#progress = p;
    while (this.#posted.length > 0 && this.#posted[0]!.seq <= p.acked) this.#posted.shift();
    this.#postedCount = this.#posted.reduce((n, b) => n + b.count, 0);
    if (p.failing) this.#fail(p.error ?? "unknown error");
    else if (this.#failing && p.held === 0) this.#recovered();
    if (p.flushed !== undefined) {
      const waiters = this.#flushWaiters.filter((w) => w.seq <= p.flushed!);
      this.#flushWaiters = this.#flushWaiters.filter((w) => w.seq > p.flushed!);
      for (const w of waiters) w.resolve();
    }
  }

  /** The thread died (a bug, or the process is ending): spool what it held, start a new one, wake waiters. */
  #onThreadGone(thread: Worker, error: unknown): void {
    if (this.#thread !== thread) return;
    this.#thread = null;
    for (const w of this.#flushWaiters.splice(0)) w.resolve();
    if (this.#closed) return;
    if (error !== undefined) this.#fail(`ledger writer thread failed: ${describe(error)}`);
    this.#spillPosted();
    this.#spillOverflow();
    if (this.#threadRestarts++ < MAX_THREAD_RESTARTS) this.#startThread();
  }

  // ---- failure reporting --------------------------------------------------------------------------------

  #fail(error: string): void {
    this.#lastError = error;
    if (this.#failing) return;
    this.#failing = true;
    this.#warn(
      `costtrail: cannot write ledger ${this.path} (${error}); ` +
        (this.#memory
          ? "events are dropped and counted"
          : `keeping up to ${this.#maxBuffered} events in memory, then in its spool, and retrying`),
    );
  }

  #recovered(): void {
    this.#failing = false;
    this.#warnedFull = false;
    const lost = this.#dropped - this.#reportedDropped;
    this.#reportedDropped = this.#dropped;
    const message =
      `costtrail: ledger ${this.path} is writable again` +
      (lost > 0 ? `; ${lost} events were dropped meanwhile` : "");
    if (lost > 0) this.#warn(message);
    else this.#info(message);
  }

  /** The process (or the sink) is ending: whatever is still held in memory is lost. Say so, with the count. */
  #finalReport(): void {
    const lost = this.#queued() + this.#overflowed() + this.#postedCount;
    if (lost > 0) {
      this.#dropped += lost;
      this.#queue = [];
      this.#open.clear();
      this.#ready = [];
      this.#readyCount = 0;
      this.#kpis = [];
      this.#overflow.clear();
      this.#overflowFrames = [];
      this.#overflowFramesCount = 0;
      this.#overflowKpis = [];
      this.#clearPosted();
      this.#progress = { ...this.#progress, held: 0 };
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
    this.#inlineWrite = null;
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
