import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { join } from "node:path";
import { threadId } from "node:worker_threads";

/**
 * An append-only overflow file for records a ledger cannot take right now (locked, down, overloaded), replayed
 * later. See docs/ledger.md ("Spill and replay").
 *
 * A spool is a directory of segment files, one writer (process + thread) per segment, one JSON record per line.
 * `append` writes whole lines with one `appendFileSync` (the process may be killed right after: what was
 * appended survives, a torn last line is skipped on replay). `drain` hands each segment's records to the writer,
 * deduplicated by id, and deletes the segment only once the writer returned: a crash in between replays it again,
 * which is harmless because the ledgers ignore an id they already hold (idempotent by event id).
 */
export interface SpoolOptions<T> {
  /** The record's identity: replay keeps the first record per id. */
  idOf: (record: T) => string;
  /** Start a new segment past this size (bytes). Default 16 MiB. */
  segmentBytes?: number;
  /** Segments of other writers younger than this (ms since last append) are left to them. Default 5 s. */
  foreignQuietMs?: number;
}

const SEGMENT_SUFFIX = ".jsonl";
const CLAIMED_SUFFIX = ".draining";

export class Spool<T> {
  readonly dir: string;
  readonly #idOf: (record: T) => string;
  readonly #segmentBytes: number;
  readonly #foreignQuietMs: number;
  /** This writer's segment-name prefix: other processes' (and threads') segments never share it. */
  readonly #prefix = `seg-${process.pid}-${threadId}-`;
  /** Segments of this process: its other threads only append to a segment they have just created (see
   * `segmentBytes: 0`) or hand over before this one drains, so they are safe to replay at once. */
  readonly #processPrefix = `seg-${process.pid}-`;
  #current: string | undefined;
  #currentBytes = 0;
  #counter = 0;

  constructor(dir: string, options: SpoolOptions<T>) {
    this.dir = dir;
    this.#idOf = options.idOf;
    this.#segmentBytes = options.segmentBytes ?? 16 * 1024 * 1024;
    this.#foreignQuietMs = options.foreignQuietMs ?? 5_000;
  }

  /** Appends the records (synchronously, one write). Throws when the directory cannot be written. */
  append(records: readonly T[]): void {
    if (records.length === 0) return;
    let text = "";
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    if (this.#current === undefined || this.#currentBytes >= this.#segmentBytes) this.#rotate();
    appendFileSync(this.#current!, text);
    this.#currentBytes += text.length;
  }

  /** True when any segment waits to be replayed (cheap: one readdir). */
  hasRecords(): boolean {
    try {
      return readdirSync(this.dir).some((f) => f.endsWith(SEGMENT_SUFFIX) || f.endsWith(CLAIMED_SUFFIX));
    } catch {
      return false;
    }
  }

  /**
   * Replays every segment (in name order) through `write` (in chunks of up to `chunk` records, small segments
   * together), deleting each once written.
   * Returns how many records were handed to `write`. If `write` throws, the segment stays for a later drain and
   * the error is rethrown. Idempotent: records are deduplicated by id within a drain, and a replay after a crash
   * re-sends ids the ledger already holds.
   */
  drain(write: (records: T[]) => void, chunk = 5_000): number {
    const seen = new Set<string>();
    let replayed = 0;
    // Small segments (one per overflow chunk) are written together, up to `chunk` records per call: one big
    // transaction instead of many small ones. Each segment is removed only after all its records are written.
    let pending: T[] = [];
    let segments: string[] = [];
    const writePending = () => {
      for (let i = 0; i < pending.length; i += chunk) write(pending.slice(i, i + chunk));
      replayed += pending.length;
      for (const s of segments) this.remove(s);
      pending = [];
      segments = [];
    };
    for (const segment of this.claim()) {
      const records = this.read(segment, seen);
      if (records === undefined) continue;
      pending = pending.length === 0 ? records : pending.concat(records);
      segments.push(segment);
      if (pending.length >= chunk) writePending();
    }
    writePending();
    return replayed;
  }

  /**
   * The segments to replay now, each claimed (renamed to `.draining`) so that no other drainer deletes one
   * half-replayed: this process's own, every claimed one, and other writers' once quiet. This writer's own
   * segment is closed first: new appends go to a new file, so nothing is appended to a segment being replayed.
   * For a writer whose ledger is asynchronous (Postgres): claim, read, write, then remove each.
   */
  claim(): string[] {
    this.#current = undefined;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const now = Date.now();
    return names
      .filter((f) => f.endsWith(SEGMENT_SUFFIX) || f.endsWith(CLAIMED_SUFFIX))
      .filter((f) => f.startsWith(this.#processPrefix) || f.endsWith(CLAIMED_SUFFIX) || this.#quiet(f, now))
      .sort()
      .map((name) => this.#claim(name))
      .filter((path): path is string => path !== undefined);
  }

  /**
   * A claimed segment's records, skipping ids in `seen` (and adding the new ones); undefined when another drainer
   * has just finished it. A line torn by a kill mid-append is skipped: it was never acknowledged as spooled.
   */
  read(segment: string, seen: Set<string> = new Set()): T[] | undefined {
    let text: string;
    try {
      text = readFileSync(segment, "utf8");
    } catch {
      return undefined;
    }
    const records: T[] = [];
    for (const line of text.split("\n")) {
      if (line === "") continue;
      let record: T;
      try {
        record = JSON.parse(line) as T;
      } catch {
        continue;
      }
      const id = this.#idOf(record);
      if (seen.has(id)) continue;
      seen.add(id);
      records.push(record);
    }
    return records;
  }

  /** A claimed segment is in the ledger: delete it. */
  remove(segment: string): void {
    try {
      unlinkSync(segment);
    } catch {
      // Removed by another drainer meanwhile: it was replayed either way.
    }
  }

  #quiet(name: string, now: number): boolean {
    try {
      return now - statSync(join(this.dir, name)).mtimeMs >= this.#foreignQuietMs;
    } catch {
      return false;
    }
  }

  /** Renames a segment to `.draining` so that two drainers never both delete one half-replayed. */
  #claim(name: string): string | undefined {
    const from = join(this.dir, name);
    if (name.endsWith(CLAIMED_SUFFIX)) return from;
    const to = `${from.slice(0, -SEGMENT_SUFFIX.length)}${CLAIMED_SUFFIX}`;
    try {
      renameSync(from, to);
      return to;
    } catch {
      return undefined; // another drainer took it
    }
  }

  #rotate(): void {
    mkdirSync(this.dir, { recursive: true });
    const stamp = String(Date.now()).padStart(15, "0");
    this.#current = join(this.dir, `${this.#prefix}${stamp}-${this.#counter++}${SEGMENT_SUFFIX}`);
    this.#currentBytes = 0;
  }
}

/** Where the spool of a ledger file lives: beside it. */
export function spoolDirFor(ledgerPath: string): string {
  return `${ledgerPath}.spool`;
}
