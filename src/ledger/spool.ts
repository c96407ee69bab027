import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { PendingEvent } from "./event-row.js";
import type { PendingKpi } from "./kpi-writer.js";

/** Where spool files go by default, one sub-folder per ledger (see `spoolDirFor`). */
export const DEFAULT_SPOOL_ROOT = ".costtrail/spool";
/** Overrides DEFAULT_SPOOL_ROOT: a container puts the spool on a volume that outlives it (docs/fleet.md). */
export const SPOOL_DIR_ENV = "COSTTRAIL_SPOOL_DIR";

export function spoolRoot(): string {
  return process.env[SPOOL_DIR_ENV]?.trim() || DEFAULT_SPOOL_ROOT;
}

/** What one spool file holds. */
export interface SpooledBatch {
  events: PendingEvent[];
  kpis: PendingKpi[];
  /** Lines that could not be read back: the last line of a file whose process died while writing it. */
  torn: number;
}

/** A spool file this process has claimed for replay (renamed to its own name, so no other process takes it). */
export interface ClaimedFile {
  readonly path: string;
}

// A file's name starts with its owner's pid: `<pid>.<ms>.<random>.<state>`. States: `spool` (the owner
// appends to it), `claimed` (the owner replays it), `rejected` (the ledger refused it as data; kept for a
// person, never replayed).
const NAME = /^(\d+)\.\d+\.[0-9a-f]+\.(spool|claimed|rejected)$/;
/** A file is closed and a new one started past this size, so replay reads bounded files. */
const ROTATE_BYTES = 32 * 1024 * 1024;

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, run by someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** bigint (a KPI's nano-units) as a string: the Postgres writer passes either form for an int8. */
const encode = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

/**
 * A durable local spool: batches the ledger could not take are appended (and fsynced) to a file of this
 * process, and replayed later by this process, or, if it died, by the next one that claims its files.
 * Claims are atomic renames, so two processes never replay one file. Synchronous on purpose: it also runs
 * in `process.on("exit")`, where nothing asynchronous completes (docs/fleet.md).
 */
export class Spool {
  readonly dir: string;
  readonly #maxBytes: number;
  #fd: number | undefined;
  #file: string | undefined;
  #fileBytes = 0;
  /** Bytes this process appended and has not yet replayed: its share of the cap. */
  #ownBytes = 0;

  constructor(dir: string, maxBytes: number) {
    this.dir = dir;
    this.#maxBytes = maxBytes;
  }

  /**
   * Appends a batch and makes it durable. Returns false (writing nothing) when the cap would be passed; throws
   * when the disk refuses. Each record is one line, so a crash mid-write loses at most the line being written.
   */
  append(events: readonly PendingEvent[], kpis: readonly PendingKpi[]): boolean {
    if (events.length === 0 && kpis.length === 0) return true;
    let text = "";
    for (const e of events) text += `${JSON.stringify({ e }, encode)}\n`;
    for (const k of kpis) text += `${JSON.stringify({ k }, encode)}\n`;
    const bytes = Buffer.byteLength(text);
    if (this.#ownBytes + bytes > this.#maxBytes) return false;
    if (this.#fd === undefined || this.#fileBytes + bytes > ROTATE_BYTES) this.#openNew();
    writeSync(this.#fd!, text);
    fsyncSync(this.#fd!);
    this.#fileBytes += bytes;
    this.#ownBytes += bytes;
    return true;
  }

  /** Sets a batch aside that the ledger refuses as data: kept on disk for a person, never replayed. */
  reject(events: readonly PendingEvent[], kpis: readonly PendingKpi[]): string {
    const path = join(this.dir, this.#name("rejected"));
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(path, "a", 0o600);
    try {
      for (const e of events) writeSync(fd, `${JSON.stringify({ e }, encode)}\n`);
      for (const k of kpis) writeSync(fd, `${JSON.stringify({ k }, encode)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return path;
  }

  /** Whether any file waits for replay: this process's, or one left by a process that is gone. */
  hasPending(): boolean {
    return this.#replayable().length > 0;
  }

  /**
   * Takes every file to replay: this process's own (the current file is closed; later appends start a new
   * one) and those of processes that are gone. Each is renamed to this process's name first; a rename that
   * fails means another process claimed it.
   */
  claim(): ClaimedFile[] {
    this.#closeCurrent();
    const claimed: ClaimedFile[] = [];
    for (const { name, pid, state } of this.#replayable()) {
      const from = join(this.dir, name);
      if (pid === process.pid && state === "claimed") {
        claimed.push({ path: from });
        continue;
      }
      const to = join(this.dir, this.#name("claimed"));
      try {
        renameSync(from, to);
        claimed.push({ path: to });
      } catch {
        // Claimed by another process meanwhile.
      }
    }
    return claimed;
  }

  read(file: ClaimedFile): SpooledBatch {
    const batch: SpooledBatch = { events: [], kpis: [], torn: 0 };
    for (const line of readFileSync(file.path, "utf8").split("\n")) {
      if (line === "") continue;
      try {
        const record = JSON.parse(line) as { e?: PendingEvent; k?: PendingKpi };
        if (record.e && typeof record.e.id === "string" && Array.isArray(record.e.values)) {
          batch.events.push(record.e);
        } else if (Array.isArray(record.k)) batch.kpis.push(record.k);
        else batch.torn++;
      } catch {
        batch.torn++;
      }
    }
    return batch;
  }

  /** The file's batch is in the ledger: forget it. */
  done(file: ClaimedFile): void {
    let size = 0;
    try {
      size = statSync(file.path).size;
    } catch {
      // Already gone.
    }
    rmSync(file.path, { force: true });
    this.#ownBytes = Math.max(0, this.#ownBytes - size);
  }

  /** Closes the current file (at shutdown); what it holds stays for replay. */
  close(): void {
    this.#closeCurrent();
  }

  #replayable(): { name: string; pid: number; state: string }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: { name: string; pid: number; state: string }[] = [];
    for (const name of names) {
      const m = NAME.exec(name);
      if (!m || m[2] === "rejected") continue;
      const pid = Number(m[1]);
      // Another live process's files are its own to replay.
      if (pid !== process.pid && isAlive(pid)) continue;
      // Our own current file is replayable too (claim() closes it first).
      out.push({ name, pid, state: m[2]! });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  #name(state: string): string {
    return `${process.pid}.${Date.now()}.${randomBytes(4).toString("hex")}.${state}`;
  }

  #openNew(): void {
    this.#closeCurrent();
    mkdirSync(this.dir, { recursive: true });
    this.#file = join(this.dir, this.#name("spool"));
    this.#fd = openSync(this.#file, "a", 0o600);
    this.#fileBytes = 0;
  }

  #closeCurrent(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // Nothing more to release.
    }
    this.#fd = undefined;
    this.#file = undefined;
  }
}
