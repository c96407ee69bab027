/** What the ledger's writer thread is started with (`workerData`). See docs/ledger.md. */
export interface WriterThreadConfig {
  path: string;
  spoolDir: string;
  /** A batch the file could not take for this long is spilled to the spool (bounds what SIGKILL can lose). */
  spillAfterMs: number;
  /** Events per write transaction in the background (flush and exit write bigger ones). */
  txEvents: number;
  /**
   * Overload: past this many events held, the oldest batches go to the spool at once (as the bytes received),
   * so the app's thread — which counts them until acknowledged — stays under its bound without spooling itself.
   */
  maxHeld: number;
}

/** Main thread → writer thread. Every message carries a sequence number, acknowledged in order. */
export type ToWriter =
  /** `data`: the batch's events and KPI records, encoded once (batch-encoder.ts), a view of shared memory, `count` of them. */
  | { t: "write"; seq: number; data: Uint8Array; count: number }
  /** Spooled by the main thread (overload): replay when the file takes writes again. */
  | { t: "spooled"; seq: number }
  /** Write (or spill) everything received so far, replay the spool, then answer `flushed`; `signal`: also
   * set `signal[0] = 1` and notify, for a main thread blocked in `Atomics.wait` (process exit). */
  | { t: "flush"; seq: number; signal?: Int32Array; close?: boolean };

/** Writer thread → main thread. Counters are cumulative; `acked`: every message up to it is handled. */
export interface WriterProgress {
  t: "progress";
  acked: number;
  written: number;
  spilled: number;
  replayed: number;
  /** Events (and KPI records) held by the writer thread: neither in the file nor in the spool yet. */
  held: number;
  failing: boolean;
  error?: string;
  /** Set on the answer to a `flush`. */
  flushed?: number;
}

/** Layout of the exit handshake's shared Int32Array: done flag, then the progress counters at that point. */
export const SIGNAL = { done: 0, held: 1, written: 2, spilled: 3, length: 4 } as const;
