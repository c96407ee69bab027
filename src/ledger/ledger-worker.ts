// The ledger's writer thread: owns the SQLite write connection, so a slow or locked file waits here and never on
// the application's event loop (docs/ledger.md). Started by writer-thread.ts; talks only through messages.
import { parentPort, workerData } from "node:worker_threads";
import type { Database } from "better-sqlite3";
import type { PendingEvent } from "./event-row.js";
import { createKpiWriter, type PendingKpi } from "./kpi-writer.js";
import { openDatabase } from "./open-database.js";
import { Spool } from "./spool.js";
import { decodeBatch, fromSpooled, type Spooled, spooledOfFrame } from "./spooled-record.js";
import { SIGNAL, type ToWriter, type WriterProgress, type WriterThreadConfig } from "./worker-protocol.js";
import { createEventPartsWriter } from "./writer.js";

/** The writer thread may wait this long for another process's write lock per attempt (it blocks only itself). */
const THREAD_BUSY_TIMEOUT_MS = 100;
/** At flush and exit: everything must end up in the file or the spool, so wait a little longer once. */
const FLUSH_BUSY_TIMEOUT_MS = 1_000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5_000;
const REPLAY_EVERY_MS = 1_000;
/**
 * A background transaction is cut to about this long (backgroundTxEvents), so that the batches the app posts
 * meanwhile are taken, and the excess spilled, before the app's count reaches its bound (with 5,000-event
 * transactions on a loaded machine, ~0.4 s each, the app's thread would spool on its own; docs/benchmarks.md
 * "Event-loop delay while ingesting").
 */
const OVERLOAD_TX_MS = 100;
const OVERLOAD_TX_MIN = 256;

/** A batch as received: bytes until written (a transaction decodes it), so that spilling it is one write. */
interface Batch {
  seq: number;
  data: Uint8Array;
  count: number;
  receivedAt: number;
}

const config = workerData as WriterThreadConfig;
const port = parentPort!;
// 2 MiB segments (~4,000 events as frames): a background replay slice reads whole segments.
const spool = new Spool<Spooled>(config.spoolDir, {
  idOf: (r) => r.id,
  decodeFrame: spooledOfFrame,
  segmentBytes: 2 * 1024 * 1024,
});

let db: Database | null = null;
/** One transaction: the events of every part (taken in turn), then the KPIs (complete once the parts are). */
let writeTx: ((events: Iterable<readonly PendingEvent[]>, kpis: readonly PendingKpi[]) => void) | null = null;
const backlog: Batch[] = [];
let held = 0;
let acked = 0;
let written = 0;
let spilled = 0;
let replayed = 0;
let failing = false;
let lastError: string | undefined;
let retryDelay = 0;
let retryAt = 0;
/** The spool may hold records (ours, the main thread's, or a crashed process's): replay when writable. */
let spoolPending = spool.hasRecords();
let lastReplay = 0;
/** A background replay stopped after one slice with more to go: the next turn goes on without waiting. */
let replayMore = false;
let continuing = false;
/** Recent write cost (an average over transactions), for OVERLOAD_TX_MS. */
let msPerEvent = 0;
let timer: NodeJS.Timeout | undefined;
let immediate: NodeJS.Immediate | undefined;

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

function report(flushed?: number): void {
  const p: WriterProgress = { t: "progress", acked, written, spilled, replayed, held, failing };
  if (lastError !== undefined) p.error = lastError;
  if (flushed !== undefined) p.flushed = flushed;
  port.postMessage(p);
}

function open(): boolean {
  if (writeTx) return true;
  try {
    db = openDatabase(config.path);
    db.pragma(`busy_timeout = ${THREAD_BUSY_TIMEOUT_MS}`);
    const events = createEventPartsWriter(db);
    const kpis = createKpiWriter(db);
    // One IMMEDIATE transaction per batch; the two writers' own transactions nest as savepoints. The KPIs after
    // the events: writeFront's parts add the KPIs of each batch they decode.
    const tx = db.transaction((e: Iterable<readonly PendingEvent[]>, k: readonly PendingKpi[]) => {
      events(e);
      if (k.length > 0) kpis(k);
    });
    writeTx = (e, k) => tx.immediate(e, k);
    return true;
  } catch (error) {
    fail(error);
    return false;
  }
}

function fail(error: unknown): void {
  lastError = describe(error);
  if (!isBusy(error)) closeDb(); // a handle that hit READONLY/CANTOPEN/IOERR may stay broken: reopen later
  retryDelay = isBusy(error)
    ? RETRY_MIN_MS
    : Math.min(Math.max(retryDelay * 2, RETRY_MIN_MS * 5), RETRY_MAX_MS);
  retryAt = Date.now() + retryDelay;
  failing = true;
}

function closeDb(): void {
  const d = db;
  db = null;
  writeTx = null;
  try {
    d?.close();
  } catch {
    // Nothing left to release.
  }
}

/** Writes up to `maxEvents` events (at least one batch) from the front of the backlog in one transaction. */
function writeFront(maxEvents: number): boolean {
  if (backlog.length === 0) return true;
  if (!open()) return false;
  let n = 0;
  let count = 0;
  while (n < backlog.length && (n === 0 || count + backlog[n]!.count <= maxEvents)) {
    count += backlog[n]!.count;
    n++;
  }
  const taken = backlog.slice(0, n);
  const kpis: PendingKpi[] = [];
  // Each batch decoded only when the one before is written (createEventPartsWriter): its objects die young.
  function* parts(): Generator<readonly PendingEvent[]> {
    for (const b of taken) {
      const batch = decodeBatch(b.data);
      for (const k of batch.kpis) kpis.push(k);
      yield batch.events;
    }
  }
  const started = performance.now();
  try {
    writeTx!(parts(), kpis);
  } catch (error) {
    fail(error);
    return false;
  }
  if (count >= 100) {
    const perEvent = (performance.now() - started) / count;
    msPerEvent = msPerEvent === 0 ? perEvent : 0.7 * msPerEvent + 0.3 * perEvent;
  }
  backlog.splice(0, n);
  held -= count;
  written += count;
  acked = taken[n - 1]!.seq;
  if (failing) {
    failing = false;
    retryDelay = 0;
  }
  return true;
}

/** Moves the whole backlog to the spool. False (backlog kept) when the spool cannot be written either. */
function spillAll(): boolean {
  return spillFront(backlog.length);
}

/**
 * Overload (batches arrive faster than the file takes them): the oldest batches past `maxHeld` go to the spool,
 * as the bytes received (no encoding, one write), and are acknowledged, so the app's thread frees its copies and
 * never reaches its bound — which would make it spool on its own thread. Replayed once the backlog is empty.
 */
function spillExcess(): void {
  if (held <= config.maxHeld) return;
  let n = 0;
  let excess = held - config.maxHeld;
  while (n < backlog.length && excess > 0) excess -= backlog[n++]!.count;
  spillFront(n);
}

/** Moves the first `n` batches to the spool. False (backlog kept) when the spool cannot be written either. */
function spillFront(n: number): boolean {
  if (n === 0) return true;
  const taken = backlog.slice(0, n);
  try {
    spool.appendFrames(taken.map((b) => b.data));
  } catch {
    return false; // the ledger's own error stays the one reported; the events stay held
  }
  let count = 0;
  for (const b of taken) count += b.count;
  backlog.splice(0, n);
  spilled += count;
  held -= count;
  acked = taken[n - 1]!.seq;
  spoolPending = true;
  return true;
}

/**
 * Replays the spool into the file once it takes writes again (idempotent by id: see spool.ts). In the background
 * a transaction's worth per turn (`replayMore` asks for the next turn at once), so that batches arriving meanwhile
 * are taken — and spilled if need be — rather than piling up on the app's side until it spools them itself.
 */
function replaySpool(force: boolean): void {
  replayMore = false;
  if (!spoolPending || backlog.length > 0) return;
  const now = Date.now();
  if (!force && !continuing && (failing ? now < retryAt : now - lastReplay < REPLAY_EVERY_MS)) return;
  lastReplay = now;
  continuing = false;
  if (!open()) return;
  try {
    const write = (records: Spooled[]) => {
      const { events, kpis } = fromSpooled(records);
      writeTx!([events], kpis);
    };
    const n = force ? spool.drain(write) : spool.drain(write, config.txEvents, config.txEvents);
    replayed += n;
    spoolPending = spool.hasRecords();
    failing = false;
    retryDelay = 0;
    replayMore = spoolPending && n > 0;
    continuing = replayMore;
  } catch (error) {
    fail(error);
  }
}

function schedule(): void {
  if (immediate || timer) return;
  if (backlog.length === 0 && !spoolPending) return;
  const wait = failing ? Math.max(0, retryAt - Date.now()) : 0;
  if (wait > 0) {
    timer = setTimeout(step, Math.min(wait, config.spillAfterMs));
  } else if (backlog.length === 0 && !replayMore) {
    timer = setTimeout(step, REPLAY_EVERY_MS);
  } else {
    immediate = setImmediate(step);
  }
}

/**
 * Every background transaction is cut to about OVERLOAD_TX_MS of writing, the first (its cost not known yet, the
 * file cold) to OVERLOAD_TX_MIN events: batches posted meanwhile wait in the port, not yet held, so not spilled,
 * and one long transaction while the app writes fast let its count reach its bound (the app's thread then spools).
 */
function backgroundTxEvents(): number {
  if (msPerEvent === 0) return OVERLOAD_TX_MIN;
  return Math.max(OVERLOAD_TX_MIN, Math.min(config.txEvents, Math.floor(OVERLOAD_TX_MS / msPerEvent)));
}

/** One transaction per turn, so flush requests and new batches are taken between them. */
function step(): void {
  timer = undefined;
  immediate = undefined;
  const before = acked;
  const replayedBefore = replayed;
  const wasFailing = failing;
  spillExcess();
  if (backlog.length > 0 && (!failing || Date.now() >= retryAt)) writeFront(backgroundTxEvents());
  if (backlog.length > 0 && failing && Date.now() - backlog[0]!.receivedAt >= config.spillAfterMs) spillAll();
  replaySpool(false);
  if (acked !== before || failing !== wasFailing || replayed !== replayedBefore) report();
  schedule();
}

/** flush / exit: everything received goes to the file, or else to the spool, now. */
function flushNow(): void {
  if (backlog.length > 0) {
    db?.pragma(`busy_timeout = ${FLUSH_BUSY_TIMEOUT_MS}`);
    while (backlog.length > 0 && writeFront(Number.POSITIVE_INFINITY));
    db?.pragma(`busy_timeout = ${THREAD_BUSY_TIMEOUT_MS}`);
    spillAll();
  }
  replaySpool(true);
}

port.on("message", (message: ToWriter) => {
  const now = Date.now();
  if (message.t === "write") {
    backlog.push({ seq: message.seq, data: message.data, count: message.count, receivedAt: now });
    held += message.count;
  } else if (message.t === "spooled") {
    spoolPending = true;
    if (backlog.length === 0) acked = message.seq;
  } else {
    flushNow();
    if (backlog.length === 0) acked = message.seq;
    if (message.signal) {
      const s = message.signal;
      Atomics.store(s, SIGNAL.held, held);
      Atomics.store(s, SIGNAL.written, written);
      Atomics.store(s, SIGNAL.spilled, spilled);
      Atomics.store(s, SIGNAL.done, 1);
      Atomics.notify(s, SIGNAL.done);
    }
    if (message.close) {
      closeDb();
      report(message.seq);
      port.close();
      return;
    }
    report(message.seq);
  }
  schedule();
});
