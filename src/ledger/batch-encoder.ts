import type { PendingEvent } from "./event-row.js";
import type { PendingKpi } from "./kpi-writer.js";

/**
 * A batch's bytes in V8's serialization format (version 15, what `node:v8` `serialize([events, kpis])` writes and
 * `deserialize` reads back; the writer thread and spool replay decode them with `deserialize`), written by hand
 * for the few kinds of value a batch holds: strings, numbers, null, bigints (KPI nanos), arrays and the
 * PendingEvent object. Not `serialize()` itself: its Serializer object keeps every object it has serialized
 * reachable until that object is collected, which a scavenge does not do, so each batch's events outlived the
 * scavenges, were copied and promoted (the long app-thread scavenges of docs/benchmarks.md "Event-loop delay
 * while ingesting, session 6").
 *
 * Events are encoded as they are added (`add`), in place, into a SharedArrayBuffer slab that several batches in
 * a row share; `take` ends the batch (its KPI records, the array ends, the header in the room left before it) and
 * returns it as a view of the slab, which the writer thread receives without a copy. So no event of a batch stays
 * on the app's heap once added, and a batch costs neither an allocation nor a copy of its own. A slab is freed
 * once no batch in it is referenced (on either thread).
 */

const VERSION = 0x0f;
const TAG = {
  version: 0xff,
  null: 0x30, // '0'
  int32: 0x49, // 'I', zigzag varint
  double: 0x4e, // 'N', float64 little-endian
  bigint: 0x5a, // 'Z', varint bitfield (byte length << 1 | sign), then 64-bit digits little-endian
  oneByteString: 0x22, // '"', varint byte length, Latin-1 bytes
  twoByteString: 0x63, // 'c', varint byte length, UTF-16LE code units
  beginObject: 0x6f, // 'o', then key, value pairs
  endObject: 0x7b, // '{', varint property count
  beginDenseArray: 0x41, // 'A', varint length, elements
  endDenseArray: 0x24, // '$', varint property count (0), varint length
} as const;

/** A slab's size: ~15 batches of 128 typical events (~0.5 kB each encoded). Larger batches get larger slabs. */
const SLAB_BYTES = 1024 * 1024;
/** Room before a batch's events for its header: version (2), outer array (2), events array tag and length (≤ 6). */
const HEAD_ROOM = 10;
/** Past this a slab is not reused for the next batch (it was grown for an unusually large one). */
const MAX_REUSED_SLAB = 4 * SLAB_BYTES;

export type BatchValue = string | number | bigint | null;

// The encoding functions below work on this state (module variables, fast to reach); a BatchEncoder call loads
// its own slab and position into it first and stores them back at the end.
let buf: Uint8Array = new Uint8Array(0);
/** `buf` as a Buffer, for its native string writer. */
let bufWriter: Buffer = Buffer.alloc(0);
let pos = 0;
/** Where the batch being written starts in `buf` (its head room): a slab that is outgrown moves it. */
let start = 0;
/**
 * Buffer's own UTF-8 writer (what `buf.write(s, offset, "utf8")` calls once it has checked its arguments; present
 * in every Node version), called directly: the checks cost more than the write for an event's short strings.
 */
const utf8Write: (this: Buffer, s: string, offset: number, length: number) => number =
  (Buffer.prototype as unknown as { utf8Write?: typeof utf8Write }).utf8Write ??
  function (this: Buffer, s: string, offset: number, length: number) {
    return this.write(s, offset, length, "utf8");
  };
/** Shorter strings are copied in JS, longer ones by Buffer's native writer (faster past a few characters). */
const SHORT_STRING = 24;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

export class BatchEncoder {
  #slab: Uint8Array = new Uint8Array(0);
  #start = 0;
  #pos = HEAD_ROOM;
  #count = 0;

  /** Events added since the last `take`. */
  get count(): number {
    return this.#count;
  }

  /** Encodes one event. On a throw (a value of another type) nothing of it is kept. */
  add(event: PendingEvent): void {
    this.#load();
    const kept = pos - start;
    try {
      reserve(1 + 4 * 6);
      buf[pos++] = TAG.beginObject;
      putString("id");
      putString(event.id);
      putString("values");
      putArray(event.values);
      putString("limitIds");
      putArray(event.limitIds);
      putString("tags");
      putArray(event.tags);
      reserve(2);
      buf[pos++] = TAG.endObject;
      buf[pos++] = 4;
    } catch (error) {
      // The event's bytes so far are not kept: the next event overwrites them.
      pos = start + kept;
      throw error;
    } finally {
      this.#store();
    }
    this.#count++;
  }

  /**
   * Ends the batch: `[events, kpis]` as bytes, a view of shared memory (a SharedArrayBuffer) that stays as it is;
   * the next batch starts after it.
   */
  take(kpis: readonly PendingKpi[]): Uint8Array {
    const count = this.#count;
    this.#load();
    const kept = pos - start;
    try {
      endArray(count);
      reserve(6);
      buf[pos++] = TAG.beginDenseArray;
      putVarint(kpis.length);
      for (const k of kpis) putArray(k);
      endArray(kpis.length);
      reserve(3);
      buf[pos++] = TAG.endDenseArray;
      buf[pos++] = 0;
      buf[pos++] = 2;
    } catch (error) {
      pos = start + kept;
      this.#store();
      throw error;
    }
    // The header, right before the events: the batch begins where it begins.
    const headBytes = 5 + varintBytes(count);
    let at = start + HEAD_ROOM - headBytes;
    const batchStart = at;
    buf[at++] = TAG.version;
    buf[at++] = VERSION;
    buf[at++] = TAG.beginDenseArray;
    buf[at++] = 2;
    buf[at++] = TAG.beginDenseArray;
    writeVarint(buf, at, count);
    const batch = buf.subarray(batchStart, pos);
    // The next batch after this one, in the same slab unless it is nearly full or was grown for a large batch.
    if (buf.length - pos < SLAB_BYTES / 16 || buf.length > MAX_REUSED_SLAB) use(new Uint8Array(0));
    start = buf.length === 0 ? 0 : pos;
    pos = start + HEAD_ROOM;
    this.#store();
    this.#count = 0;
    return batch;
  }

  /** Drops what was added since the last `take`. */
  clear(): void {
    this.#pos = this.#start + HEAD_ROOM;
    this.#count = 0;
  }

  #load(): void {
    if (buf !== this.#slab) use(this.#slab);
    pos = this.#pos;
    start = this.#start;
  }

  #store(): void {
    this.#slab = buf;
    this.#pos = pos;
    this.#start = start;
  }
}

function putArray(values: readonly BatchValue[]): void {
  const n = values.length;
  reserve(6);
  buf[pos++] = TAG.beginDenseArray;
  putVarint(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (typeof v === "string") putString(v);
    else if (typeof v === "number") putNumber(v);
    else if (v === null) {
      reserve(1);
      buf[pos++] = TAG.null;
    } else if (typeof v === "bigint") putBigint(v);
    else throw new TypeError(`cannot encode a ${typeof v} in a ledger batch`);
  }
  endArray(n);
}

function endArray(length: number): void {
  reserve(7);
  buf[pos++] = TAG.endDenseArray;
  buf[pos++] = 0;
  putVarint(length);
}

function putNumber(v: number): void {
  reserve(9);
  if ((v | 0) === v && !Object.is(v, -0)) {
    buf[pos++] = TAG.int32;
    putVarint(((v << 1) ^ (v >> 31)) >>> 0);
  } else {
    buf[pos++] = TAG.double;
    f64[0] = v;
    for (let i = 0; i < 8; i++) buf[pos++] = f64Bytes[i]!;
  }
}

function putString(s: string): void {
  const n = s.length;
  // UTF-8 takes up to 3 bytes a UTF-16 unit: room for the trial write below.
  reserve(1 + 5 + 3 * n);
  const b = buf;
  b[pos++] = TAG.oneByteString;
  pos += writeVarint(b, pos, n);
  if (n > SHORT_STRING) {
    // Nearly every string of an event is ASCII, whose UTF-8 is its Latin-1: one native write (its length tells).
    const written = utf8Write.call(bufWriter, s, pos, bufWriter.length - pos);
    if (written === n) {
      pos += n;
      return;
    }
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      pos -= 1 + varintBytes(n);
      putTwoByteString(s);
      return;
    }
    b[pos + i] = c;
  }
  pos += n;
}

/** A string with characters past Latin-1, as V8's two-byte string (UTF-16 code units, lone surrogates kept). */
function putTwoByteString(s: string): void {
  const n = s.length;
  reserve(1 + 5 + 2 * n);
  buf[pos++] = TAG.twoByteString;
  putVarint(2 * n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    buf[pos++] = c & 0xff;
    buf[pos++] = c >>> 8;
  }
}

function putBigint(v: bigint): void {
  const negative = v < 0n;
  let magnitude = negative ? -v : v;
  let words = 0;
  for (let m = magnitude; m > 0n; m >>= 64n) words++;
  reserve(1 + 5 + 8 * words);
  buf[pos++] = TAG.bigint;
  // The bitfield: sign in bit 0, the digits' byte length above it.
  putVarint(words * 8 * 2 + (negative ? 1 : 0));
  for (let i = 0; i < 8 * words; i++) {
    buf[pos++] = Number(magnitude & 0xffn);
    magnitude >>= 8n;
  }
}

function varintBytes(n: number): number {
  let bytes = 1;
  for (let v = n >>> 7; v > 0; v >>>= 7) bytes++;
  return bytes;
}

function putVarint(n: number): void {
  pos += writeVarint(buf, pos, n);
}

/** Room for `bytes` more at `pos` (callers reserve before they write): else a new slab, the batch moved to it. */
function reserve(bytes: number): void {
  if (pos + bytes <= buf.length) return;
  const used = pos - start;
  let size = SLAB_BYTES;
  while (size < 2 * (used + bytes)) size *= 2;
  const next = new Uint8Array(new SharedArrayBuffer(size));
  next.set(buf.subarray(start, pos));
  use(next);
  start = 0;
  pos = used;
}

/** Makes `bytes` the buffer the encoding functions write to. */
function use(bytes: Uint8Array): void {
  buf = bytes;
  bufWriter = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An unsigned 32-bit base-128 varint (V8's WriteVarint) at `at`; returns its byte count. */
function writeVarint(into: Uint8Array, at: number, n: number): number {
  let i = at;
  let v = n >>> 0;
  while (v >= 0x80) {
    into[i++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  into[i++] = v;
  return i - at;
}
