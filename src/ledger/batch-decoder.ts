/**
 * Reads a batch's bytes (V8's serialization format: batch-encoder.ts's, or `serialize()`'s from older costtrail
 * spools) back into values, for the kinds of value a batch holds: strings, numbers, null, booleans, bigints,
 * dense arrays, plain objects and back-references. Anything else (or anything malformed) gives `undefined`, and
 * the caller falls back to node:v8 `deserialize`, which reads every version of the format.
 *
 * Not `deserialize()` for every batch: like `serialize()`, its Deserializer keeps every object it made reachable
 * until that Deserializer is collected, which a scavenge does not do, so the writer thread's young-generation
 * collections copied and promoted every decoded batch (docs/benchmarks.md "Event-loop delay while ingesting,
 * session 6"): CPU taken from the app's thread on a small machine, and from the writer itself.
 */

const TAG = {
  padding: 0x00,
  null: 0x30, // '0'
  undefined: 0x5f, // '_'
  true: 0x54, // 'T'
  false: 0x46, // 'F'
  int32: 0x49, // 'I'
  uint32: 0x55, // 'U'
  double: 0x4e, // 'N'
  bigint: 0x5a, // 'Z'
  utf8String: 0x53, // 'S' (format versions before 13 wrote it)
  oneByteString: 0x22, // '"'
  twoByteString: 0x63, // 'c'
  beginObject: 0x6f, // 'o'
  endObject: 0x7b, // '{'
  beginDenseArray: 0x41, // 'A'
  endDenseArray: 0x24, // '$'
  beginSparseArray: 0x61, // 'a' (a frozen array, as serialize() wrote the shared empty list)
  endSparseArray: 0x40, // '@'
  objectReference: 0x5e, // '^'
} as const;

/** Format versions whose encoding of these tags is the one read here (Node 16 to 24 write 13 to 15). */
const MIN_VERSION = 13;
const MAX_VERSION = 15;

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported("not a batch this decoder reads");

// The decoding functions below work on this state (module variables, fast to reach), set per call.
let bytes: Uint8Array = new Uint8Array(0);
let text: Buffer = Buffer.alloc(0);
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));
let at = 0;
/** Objects and arrays in the order they began: what a back-reference's id points at. */
let objects: object[] = [];
/** The string cache slot of the value being read (see STRING_SLOTS), or -1: none. */
let slot = -1;

/**
 * Strings a batch repeats, decoded once: an event's provider, model, status, use case, user, account, instance,
 * tags, its `{}` and `[]`, its property names — most strings of a batch are one of a few per position, and each
 * native string call and new string (~0.1 µs, and garbage for the scavenger) is worth a few byte comparisons
 * (docs/benchmarks.md "SQLite ingest (issue 19, session 7)"). A cache per position (element index of an array,
 * property of an object), each of CACHED recent strings; a one-byte string read at a position is looked up among
 * its strings by length and bytes, exactly, and kept there when new. Positions whose strings never repeat (ids,
 * timestamps) stop looking (their score falls to the floor) and look again every RETRY_EVERY strings. The
 * strings are the batch's own values: the same result as decoding each, and only ~300 short strings stay reachable.
 */
const STRING_SLOTS = 96;
/** Array elements past this index (arrays longer than SHORT_ARRAY) share the last slot of their kind. */
const LONG_ARRAY_SLOTS = 48;
const SHORT_ARRAY = 8;
const SHORT_ARRAY_BASE = LONG_ARRAY_SLOTS;
const OBJECT_BASE = SHORT_ARRAY_BASE + SHORT_ARRAY;
const CACHED = 4;
const MAX_CACHED_LENGTH = 64;
const SCORE_FLOOR = -16;
const SCORE_CEILING = 16;
const RETRY_EVERY = 256;
const cached: (string | undefined)[] = new Array(STRING_SLOTS * CACHED).fill(undefined);
const nextEntry = new Int32Array(STRING_SLOTS);
const score = new Int32Array(STRING_SLOTS);
const skipped = new Int32Array(STRING_SLOTS);

const latin1Slice: (this: Buffer, start: number, end: number) => string =
  (Buffer.prototype as unknown as { latin1Slice?: typeof latin1Slice }).latin1Slice ??
  function (this: Buffer, start: number, end: number) {
    return this.toString("latin1", start, end);
  };

/** The batch's value, or undefined when the bytes hold something this decoder does not read. */
export function decodeBatchBytes(input: Uint8Array): unknown {
  bytes = input;
  text = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  at = 0;
  objects = [];
  slot = -1;
  try {
    if (byte() !== 0xff) return undefined;
    const version = varint();
    if (version < MIN_VERSION || version > MAX_VERSION) return undefined;
    const value = readValue();
    return at === bytes.length ? value : undefined;
  } catch (error) {
    if (error === UNSUPPORTED || error instanceof RangeError) return undefined;
    throw error;
  } finally {
    // Nothing of the batch stays reachable from here.
    bytes = new Uint8Array(0);
    text = Buffer.alloc(0);
    objects = [];
  }
}

function byte(): number {
  if (at >= bytes.length) throw UNSUPPORTED;
  return bytes[at++]!;
}

/** An unsigned base-128 varint of up to 32 bits (V8's ReadVarint<uint32_t>). */
function varint(): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    const b = byte();
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return value;
    scale *= 128;
  }
  throw UNSUPPORTED;
}

function readValue(): unknown {
  for (;;) {
    const tag = byte();
    switch (tag) {
      case TAG.padding:
        continue;
      case TAG.null:
        return null;
      case TAG.undefined:
        return undefined;
      case TAG.true:
        return true;
      case TAG.false:
        return false;
      case TAG.int32: {
        const z = varint();
        return (z >>> 1) ^ -(z & 1);
      }
      case TAG.uint32:
        return varint();
      case TAG.double: {
        const v = view.getFloat64(at, true);
        at += 8;
        return v;
      }
      case TAG.bigint:
        return readBigint();
      case TAG.oneByteString:
        return readString(1);
      case TAG.twoByteString:
        return readString(2);
      case TAG.utf8String:
        return readString(0);
      case TAG.beginObject:
        return readObject();
      case TAG.beginDenseArray:
        return readDenseArray();
      case TAG.beginSparseArray:
        return readSparseArray();
      case TAG.objectReference: {
        const target = objects[varint()];
        if (target === undefined) throw UNSUPPORTED;
        return target;
      }
      default:
        throw UNSUPPORTED;
    }
  }
}

/** `width`: 1 Latin-1, 2 UTF-16LE, 0 UTF-8. */
function readString(width: 0 | 1 | 2): string {
  const length = varint();
  const start = at;
  const end = start + length;
  if (end > bytes.length || (width === 2 && length % 2 !== 0)) throw UNSUPPORTED;
  at = end;
  if (width === 1)
    return slot >= 0 && length <= MAX_CACHED_LENGTH
      ? cachedLatin1(start, length)
      : latin1Slice.call(text, start, end);
  return text.toString(width === 2 ? "utf16le" : "utf8", start, end);
}

/** The one-byte string of `length` bytes at `start`, from the current slot's cache when it holds it (see above). */
function cachedLatin1(start: number, length: number): string {
  const s = slot;
  const sc = score[s]!;
  if (sc <= SCORE_FLOOR && ++skipped[s]! % RETRY_EVERY !== 0)
    return latin1Slice.call(text, start, start + length);
  const first = s * CACHED;
  for (let e = first; e < first + CACHED; e++) {
    const c = cached[e];
    if (c === undefined || c.length !== length) continue;
    let i = 0;
    while (i < length && c.charCodeAt(i) === bytes[start + i]) i++;
    if (i === length) {
      if (sc < SCORE_CEILING) score[s] = sc + 1;
      return c;
    }
  }
  if (sc > SCORE_FLOOR) score[s] = sc - 1;
  const value = latin1Slice.call(text, start, start + length);
  const n = nextEntry[s]!;
  cached[first + n] = value;
  nextEntry[s] = (n + 1) % CACHED;
  return value;
}

function readBigint(): bigint {
  const bitfield = varint();
  const byteLength = bitfield >>> 1;
  if (byteLength % 8 !== 0 || at + byteLength > bytes.length) throw UNSUPPORTED;
  let value = 0n;
  for (let i = byteLength - 8; i >= 0; i -= 8) value = (value << 64n) | view.getBigUint64(at + i, true);
  at += byteLength;
  return bitfield & 1 ? -value : value;
}

function readDenseArray(): unknown[] {
  const length = varint();
  if (length > bytes.length - at) throw UNSUPPORTED; // each element takes a byte at least
  const array: unknown[] = [];
  objects.push(array);
  const outer = slot;
  const base = length > SHORT_ARRAY ? 0 : SHORT_ARRAY_BASE;
  const last = length > SHORT_ARRAY ? LONG_ARRAY_SLOTS - 1 : SHORT_ARRAY - 1;
  for (let i = 0; i < length; i++) {
    slot = base + Math.min(i, last);
    array.push(readValue());
  }
  slot = outer;
  if (byte() !== TAG.endDenseArray || varint() !== 0 || varint() !== length) throw UNSUPPORTED;
  return array;
}

function readSparseArray(): unknown[] {
  const length = varint();
  if (length > bytes.length - at) throw UNSUPPORTED;
  const array: unknown[] = [];
  objects.push(array);
  let count = 0;
  for (;;) {
    if (at < bytes.length && bytes[at] === TAG.endSparseArray) {
      at++;
      if (varint() !== count || varint() !== length) throw UNSUPPORTED;
      array.length = length;
      return array;
    }
    const key = readValue();
    if (typeof key !== "number" || !Number.isInteger(key) || key < 0 || key >= length) throw UNSUPPORTED;
    array[key] = readValue();
    count++;
  }
}

function readObject(): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  objects.push(object);
  const outer = slot;
  let count = 0;
  for (;;) {
    if (at < bytes.length && bytes[at] === TAG.endObject) {
      at++;
      slot = outer;
      if (varint() !== count) throw UNSUPPORTED;
      return object;
    }
    // A key and its value in slots of their own for the first properties, none past them.
    const s = count < (STRING_SLOTS - OBJECT_BASE) / 2 ? OBJECT_BASE + 2 * count : -1;
    slot = s;
    const key = readValue();
    // Index keys and "__proto__" (which an assignment would not store as data) are left to deserialize().
    if (typeof key !== "string" || key === "__proto__" || key in object) throw UNSUPPORTED;
    slot = s < 0 ? -1 : s + 1;
    object[key] = readValue();
    count++;
  }
}
