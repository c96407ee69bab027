import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writevSync,
} from "node:fs";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import { crc32 } from "node:zlib";

/**
 * An append-only overflow file for records a ledger cannot take right now (locked, down, overloaded), replayed
 * later. See docs/ledger.md ("Spill and replay").
 *
 * A spool is a directory of segment files, one writer (process + thread) per segment, one JSON record per line.
 * `append` writes whole lines with one `appendFileSync` (the process may be killed right after: what was
 * appended survives, a torn last line is skipped on replay). `drain` hands each segment's records to the writer,
 * deduplicated by id, and deletes the segment only once the writer returned: a crash in between replays it again,
 * which is harmless because the ledgers ignore an id they already hold (idempotent by event id).
 *
 * Records already encoded as bytes (the SQLite ledger's batches, encoded once on the app's thread) are appended
 * as **frames** instead (`appendFrames`): segment files of their own (`.frames`), each frame a length, a CRC-32
 * and the bytes, written as they are — no JSON on the way in. A torn or corrupt frame is skipped on replay like a
 * torn line. Only a spool given `decodeFrame` reads (and claims) frame segments.
 */
export interface SpoolOptions<T> {
  /** The record's identity: replay keeps the first record per id. */
  idOf: (record: T) => string;
  /** Start a new segment past this size (bytes). Default 16 MiB. */
  segmentBytes?: number;
  /** Segments of other writers younger than this (ms since last append) are left to them. Default 5 s. */
  foreignQuietMs?: number;
  /** The records of one frame (`appendFrames`); without it, frame segments are neither claimed nor read. */
  decodeFrame?: (bytes: Uint8Array) => T[];
}

const SEGMENT_SUFFIX = ".jsonl";
const CLAIMED_SUFFIX = ".draining";
const FRAMES_SUFFIX = ".frames";
/** Not `.draining`: a costtrail without frame support must never claim (and delete) a frame segment. */
const FRAMES_CLAIMED_SUFFIX = ".frames-draining";
/** Frame header: byte length, then CRC-32 of the bytes (both uint32, little-endian). */
const FRAME_HEADER = 8;

const isSegment = (f: string, frames: boolean) =>
  f.endsWith(SEGMENT_SUFFIX) ||
  f.endsWith(CLAIMED_SUFFIX) ||
  (frames && (f.endsWith(FRAMES_SUFFIX) || f.endsWith(FRAMES_CLAIMED_SUFFIX)));
const isClaimed = (f: string) => f.endsWith(CLAIMED_SUFFIX) || f.endsWith(FRAMES_CLAIMED_SUFFIX);

export class Spool<T> {
  readonly dir: string;
  readonly #idOf: (record: T) => string;
  readonly #segmentBytes: number;
  readonly #foreignQuietMs: number;
  readonly #decodeFrame: ((bytes: Uint8Array) => T[]) | undefined;
  /** This writer's segment-name prefix: other processes' (and threads') segments never share it. */
  readonly #prefix = `seg-${process.pid}-${threadId}-`;
  /** Segments of this process: its other threads only append to a segment they have just created (see
   * `segmentBytes: 0`) or hand over before this one drains, so they are safe to replay at once. */
  readonly #processPrefix = `seg-${process.pid}-`;
  #current: string | undefined;
  #currentBytes = 0;
  #currentFrames: string | undefined;
  #currentFramesBytes = 0;
  #counter = 0;

  constructor(dir: string, options: SpoolOptions<T>) {
    this.dir = dir;
    this.#idOf = options.idOf;
    this.#segmentBytes = options.segmentBytes ?? 16 * 1024 * 1024;
    this.#foreignQuietMs = options.foreignQuietMs ?? 5_000;
    this.#decodeFrame = options.decodeFrame;
  }

  /** Appends the records (synchronously, one write). Throws when the directory cannot be written. */
  append(records: readonly T[]): void {
    if (records.length === 0) return;
    let text = "";
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    if (this.#current === undefined || this.#currentBytes >= this.#segmentBytes) {
      this.#current = this.#newSegment(SEGMENT_SUFFIX);
      this.#currentBytes = 0;
    }
    appendFileSync(this.#current, text);
    this.#currentBytes += text.length;
  }

  /**
   * Appends encoded records as frames (a `writev` per segment, the bytes as given: no copy, no JSON). Throws when
   * the directory cannot be written. Replay decodes them with `decodeFrame`.
   */
  appendFrames(frames: readonly Uint8Array[]): void {
    if (frames.length === 0) return;
    // A segment per append (segmentBytes 0: a writer whose segments another thread of this process may claim at
    // any time) is written under a temporary name and renamed when whole, so no drainer ever reads it half-written.
    const fresh = this.#segmentBytes === 0;
    // Otherwise no segment passes segmentBytes (but for a single larger frame), however much one call appends: a
    // background replay slice reads whole segments, and one holding a whole overload's spill would keep the writer
    // thread from taking batches for as long as it takes to write it (docs/ledger.md "Overload").
    let group: Uint8Array[] = [];
    let groupBytes = 0;
    for (const frame of frames) {
      const size = FRAME_HEADER + frame.byteLength;
      if (!fresh && group.length > 0 && groupBytes + size > this.#segmentBytes) {
        this.#appendFrameGroup(group, groupBytes, false);
        group = [];
        groupBytes = 0;
      }
      group.push(frame);
      groupBytes += size;
    }
    this.#appendFrameGroup(group, groupBytes, fresh);
  }

  #appendFrameGroup(frames: readonly Uint8Array[], bytes: number, fresh: boolean): void {
    const parts: Uint8Array[] = [];
    for (const frame of frames) {
      const header = Buffer.allocUnsafe(FRAME_HEADER);
      header.writeUInt32LE(frame.byteLength, 0);
      header.writeUInt32LE(crc32(frame), 4);
      parts.push(header, frame);
    }
    if (
      fresh ||
      this.#currentFrames === undefined ||
      (this.#currentFramesBytes > 0 && this.#currentFramesBytes + bytes > this.#segmentBytes)
    ) {
      this.#currentFrames = this.#newSegment(FRAMES_SUFFIX);
      this.#currentFramesBytes = 0;
    }
    const path = this.#currentFrames;
    const target = fresh ? `${path}.tmp` : path;
    this.#writeAll(target, parts, bytes);
    if (fresh) renameSync(target, path);
    this.#currentFramesBytes += bytes;
  }

  #writeAll(path: string, parts: Uint8Array[], bytes: number): void {
    const fd = openSync(path, "a");
    try {
      // writev may write less than asked (a signal, a full disk): finish, or throw with what is there torn.
      let written = writevSync(fd, parts);
      while (written < bytes) {
        let skip = written;
        const rest: Uint8Array[] = [];
        for (const p of parts) {
          if (skip >= p.byteLength) skip -= p.byteLength;
          else {
            rest.push(skip > 0 ? p.subarray(skip) : p);
            skip = 0;
          }
        }
        const more = writevSync(fd, rest);
        if (more <= 0) throw new Error(`short write to ${path}`);
        written += more;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** True when any segment waits to be replayed (cheap: one readdir). */
  hasRecords(): boolean {
    try {
      return readdirSync(this.dir).some((f) => isSegment(f, this.#decodeFrame !== undefined));
    } catch {
      return false;
    }
  }

  /**
   * Replays every segment (in name order) through `write` (in chunks of up to `chunk` records, small segments
   * together), deleting each once written.
   * Returns how many records were handed to `write`. If `write` throws, the segment stays for a later drain and
   * the error is rethrown. Idempotent: records are deduplicated by id within a drain, and a replay after a crash
   * re-sends ids the ledger already holds. `max`: stop once about this many records are written (whole
   * segments; the rest stay claimed for the next drain), for a writer that must take other work in between.
   */
  drain(write: (records: T[]) => void, chunk = 5_000, max = Number.POSITIVE_INFINITY): number {
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
      if (replayed >= max) break;
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
    this.#currentFrames = undefined;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const now = Date.now();
    return names
      .filter((f) => isSegment(f, this.#decodeFrame !== undefined))
      .filter((f) => f.startsWith(this.#processPrefix) || isClaimed(f) || this.#quiet(f, now))
      .sort()
      .map((name) => this.#claim(name))
      .filter((path): path is string => path !== undefined);
  }

  /**
   * A claimed segment's records, skipping ids in `seen` (and adding the new ones); undefined when another drainer
   * has just finished it. A line torn by a kill mid-append is skipped: it was never acknowledged as spooled.
   */
  read(segment: string, seen: Set<string> = new Set()): T[] | undefined {
    if (segment.endsWith(FRAMES_CLAIMED_SUFFIX)) return this.#readFrames(segment, seen);
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

  #readFrames(segment: string, seen: Set<string>): T[] | undefined {
    let data: Buffer;
    try {
      data = readFileSync(segment);
    } catch {
      return undefined;
    }
    const records: T[] = [];
    let at = 0;
    while (at + FRAME_HEADER <= data.length) {
      const length = data.readUInt32LE(at);
      const end = at + FRAME_HEADER + length;
      if (end > data.length) break; // torn by a kill mid-append: never acknowledged as spooled
      const frame = data.subarray(at + FRAME_HEADER, end);
      const crc = data.readUInt32LE(at + 4);
      at = end;
      if (crc32(frame) !== crc) continue;
      let decoded: T[];
      try {
        decoded = this.#decodeFrame!(frame);
      } catch {
        continue;
      }
      for (const record of decoded) {
        const id = this.#idOf(record);
        if (seen.has(id)) continue;
        seen.add(id);
        records.push(record);
      }
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
    if (isClaimed(name)) return from;
    const to = name.endsWith(FRAMES_SUFFIX)
      ? `${from.slice(0, -FRAMES_SUFFIX.length)}${FRAMES_CLAIMED_SUFFIX}`
      : `${from.slice(0, -SEGMENT_SUFFIX.length)}${CLAIMED_SUFFIX}`;
    try {
      renameSync(from, to);
      return to;
    } catch {
      return undefined; // another drainer took it
    }
  }

  #newSegment(suffix: string): string {
    mkdirSync(this.dir, { recursive: true });
    const stamp = String(Date.now()).padStart(15, "0");
    return join(this.dir, `${this.#prefix}${stamp}-${this.#counter++}${suffix}`);
  }
}

/** Where the spool of a ledger file lives: beside it. */
export function spoolDirFor(ledgerPath: string): string {
  return `${ledgerPath}.spool`;
}
