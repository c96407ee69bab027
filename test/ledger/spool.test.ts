// The spool (src/ledger/spool.ts): append, replay idempotent by id, torn lines, other writers' segments.
import { appendFileSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Spool } from "../../src/ledger/spool.js";
import { tempDir } from "./helpers.js";

const dir = tempDir("costtrail-spool-");
let n = 0;
const fresh = () => join(dir, `spool-${n++}`);
type Rec = { id: string; v: number };
const spoolAt = (path: string, segmentBytes?: number) =>
  new Spool<Rec>(path, {
    idOf: (r) => r.id,
    decodeFrame: (bytes) => JSON.parse(Buffer.from(bytes).toString("utf8")) as Rec[],
    ...(segmentBytes !== undefined ? { segmentBytes } : {}),
  });
const frame = (records: Rec[]) => new Uint8Array(Buffer.from(JSON.stringify(records)));

describe("Spool", () => {
  it("replays what was appended, each id once, in chunks, and is empty after", () => {
    const spool = spoolAt(fresh(), 0); // a segment per append
    spool.append([
      { id: "a", v: 1 },
      { id: "b", v: 2 },
    ]);
    spool.append([
      { id: "b", v: 2 },
      { id: "c", v: 3 },
    ]);
    expect(spool.hasRecords()).toBe(true);
    const chunks: Rec[][] = [];
    expect(spool.drain((records) => void chunks.push(records), 2)).toBe(3);
    expect(chunks.flat()).toEqual([
      { id: "a", v: 1 },
      { id: "b", v: 2 },
      { id: "c", v: 3 },
    ]);
    expect(spool.hasRecords()).toBe(false);
    expect(spool.drain(() => {})).toBe(0);
  });

  it("keeps a segment whose replay failed, and replays it again (the ledger ignores ids it holds)", () => {
    const spool = spoolAt(fresh());
    spool.append([{ id: "x", v: 1 }]);
    expect(() =>
      spool.drain(() => {
        throw new Error("locked");
      }),
    ).toThrow("locked");
    const seen: Rec[] = [];
    expect(spool.drain((r) => void seen.push(...r))).toBe(1);
    expect(seen).toEqual([{ id: "x", v: 1 }]);
    expect(spool.hasRecords()).toBe(false);
  });

  it("skips a line torn by a kill mid-append", () => {
    const path = fresh();
    const spool = spoolAt(path);
    spool.append([{ id: "whole", v: 1 }]);
    const [segment] = readdirSync(path);
    appendFileSync(join(path, segment!), '{"id":"torn","v"');
    const seen: Rec[] = [];
    spool.drain((r) => void seen.push(...r));
    expect(seen).toEqual([{ id: "whole", v: 1 }]);
  });

  it("replays another process's segment only once it has been quiet (that process may still append)", () => {
    const path = fresh();
    spoolAt(path).append([{ id: "mine", v: 1 }]);
    const foreign = join(path, "seg-999999-0-000000000000001-0.jsonl");
    appendFileSync(foreign, `${JSON.stringify({ id: "theirs", v: 2 })}\n`);
    const seen: Rec[] = [];
    spoolAt(path).drain((r) => void seen.push(...r));
    expect(seen.map((r) => r.id)).toEqual(["mine"]);
    const old = new Date(Date.now() - 60_000);
    utimesSync(foreign, old, old);
    spoolAt(path).drain((r) => void seen.push(...r));
    expect(seen.map((r) => r.id)).toEqual(["mine", "theirs"]);
    expect(readdirSync(path)).toEqual([]);
  });

  it("cuts one large append of frames into segments of at most segmentBytes, replayed a slice at a time", () => {
    const spool = spoolAt(fresh(), 200);
    const frames = Array.from({ length: 30 }, (_, i) => frame([{ id: `r${i}`, v: i }]));
    const size = (f: Uint8Array) => 8 + f.byteLength; // the frame header and the frame's bytes
    const total = [...frames, ...frames.slice(0, 2)].reduce((sum, f) => sum + size(f), 0);
    spool.appendFrames(frames);
    spool.appendFrames(frames.slice(0, 2)); // appended where there is room, else in a new segment
    const sizes = readdirSync(spool.dir).map((f) => readFileSync(join(spool.dir, f)).byteLength);
    expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(total / 200));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(200);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
    // A background replay slice (max records) reads whole segments: with them bounded, so is the slice.
    const perSegment = Math.floor(200 / size(frames[0]!));
    const slice: Rec[] = [];
    spool.drain((r) => void slice.push(...r), 5, 5);
    expect(slice.length).toBeGreaterThanOrEqual(5);
    expect(slice.length).toBeLessThan(5 + perSegment);
    const rest: Rec[] = [];
    spool.drain((r) => void rest.push(...r));
    // Each drain keeps one record per id; across two drains the two frames appended twice may come again (the
    // ledger ignores ids it holds).
    expect(new Set([...slice, ...rest].map((r) => r.id))).toEqual(new Set(frames.map((_, i) => `r${i}`)));
    expect(spool.hasRecords()).toBe(false);
  });

  it("replays frames (records already encoded) with the JSON lines, each id once, and empties the spool", () => {
    const spool = spoolAt(fresh(), 0);
    spool.appendFrames([frame([{ id: "a", v: 1 }]), frame([{ id: "b", v: 2 }])]);
    spool.append([
      { id: "b", v: 2 },
      { id: "c", v: 3 },
    ]);
    spool.appendFrames([
      frame([
        { id: "c", v: 3 },
        { id: "d", v: 4 },
      ]),
    ]);
    expect(readdirSync(spool.dir).every((f) => f.endsWith(".frames") || f.endsWith(".jsonl"))).toBe(true);
    const seen: Rec[] = [];
    expect(spool.drain((r) => void seen.push(...r))).toBe(4);
    expect(seen.map((r) => r.id).sort()).toEqual(["a", "b", "c", "d"]);
    expect(spool.hasRecords()).toBe(false);
  });

  it("skips a frame torn by a kill mid-append and a frame whose bytes do not match their checksum", () => {
    const spool = spoolAt(fresh());
    spool.appendFrames([frame([{ id: "whole", v: 1 }]), frame([{ id: "flipped", v: 2 }])]);
    const [name] = readdirSync(spool.dir);
    const file = join(spool.dir, name!);
    const bytes = readFileSync(file);
    // The second frame's `"v":2` becomes `"v":3`: still a valid record, so only the checksum can tell.
    expect(String.fromCharCode(bytes[bytes.length - 3]!)).toBe("2");
    bytes[bytes.length - 3] = "3".charCodeAt(0);
    writeFileSync(file, bytes);
    // A third frame cut short: its header promises more bytes than the file holds.
    const torn = Buffer.alloc(8 + 4);
    torn.writeUInt32LE(100, 0);
    appendFileSync(file, torn);
    const seen: Rec[] = [];
    spool.drain((r) => void seen.push(...r));
    expect(seen).toEqual([{ id: "whole", v: 1 }]);
  });

  it("leaves frame segments alone when it cannot decode them (a spool given no decodeFrame)", () => {
    const path = fresh();
    spoolAt(path).appendFrames([frame([{ id: "f", v: 1 }])]);
    const plain = new Spool<Rec>(path, { idOf: (r) => r.id });
    expect(plain.hasRecords()).toBe(false);
    expect(plain.drain(() => {})).toBe(0);
    expect(readdirSync(path)).toHaveLength(1);
    const seen: Rec[] = [];
    spoolAt(path).drain((r) => void seen.push(...r));
    expect(seen).toEqual([{ id: "f", v: 1 }]);
  });
});
