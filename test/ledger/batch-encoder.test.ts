// The app thread's batch encoding (batch-encoder.ts): V8's serialization format written by hand, read back by
// node:v8 `deserialize` as the writer thread and spool replay do. Every value must come back exactly.

import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { decodeBatchBytes } from "../../src/ledger/batch-decoder.js";
import { BatchEncoder } from "../../src/ledger/batch-encoder.js";
import { type PendingEvent, toPendingEvent } from "../../src/ledger/event-row.js";
import type { PendingKpi } from "../../src/ledger/kpi-writer.js";
import { decodeBatch, encodeBatch, spooledOfFrame } from "../../src/ledger/spooled-record.js";
import { makeEvent } from "./fixtures/events.js";

function same(a: unknown, b: unknown): void {
  // Object.is per number: -0 and NaN must survive as themselves.
  if (typeof a === "number") {
    expect(Object.is(a, b)).toBe(true);
    return;
  }
  if (Array.isArray(a)) {
    expect(Array.isArray(b)).toBe(true);
    expect((b as unknown[]).length).toBe(a.length);
    for (let i = 0; i < a.length; i++) same(a[i], (b as unknown[])[i]);
    return;
  }
  if (a !== null && typeof a === "object") {
    expect(Object.keys(b as object)).toEqual(Object.keys(a));
    for (const k of Object.keys(a))
      same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
    return;
  }
  expect(b).toBe(a);
}

const odd: PendingEvent = {
  id: "é-€-𝄞",
  values: [
    "",
    "ascii",
    "latin-1 ÿ é",
    "two-byte € and an astral 𝄞",
    "a lone surrogate \ud800 and \udc00",
    "x".repeat(70_000),
    `long ascii ${"y".repeat(300)} then € at the end €`,
    0,
    -0,
    1,
    -1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    -(2 ** 31) - 1,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    1.5,
    -1e-300,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    null,
  ],
  limitIds: ["daily", "monthly"],
  tags: [],
};
const kpis: PendingKpi[] = [
  ["k1", "2025-06-01T00:00:00.000Z", 1, "revenue", 0n, null, "sum", "chat", "i", 1, "u", "a"],
  ["k2", "ts", 2, "n", 5n, "usd", "sum", "c", "i", null, null, null],
  ["k3", "ts", 3, "n", -(2n ** 64n) - 12345n, null, "sum", "c", "i", null, null, null],
  ["k4", "ts", 4, "n", 2n ** 64n - 1n, null, "sum", "c", "i", null, null, null],
  ["k5", "ts", 5, "n", 10n ** 40n, null, "sum", "c", "i", null, null, null],
];

describe("BatchEncoder", () => {
  it("writes what node:v8 deserialize reads back exactly: strings of every width, numbers, null, bigints", () => {
    const events = [odd, ...Array.from({ length: 50 }, (_, i) => toPendingEvent(makeEvent(`e-${i}`)))];
    const bytes = encodeBatch(events, kpis);
    expect(bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    const back = deserialize(bytes) as unknown;
    same([events, kpis], back);
    // The same values as serialize() itself would give the writer thread.
    same(deserialize(serialize([events, kpis])), back);
    expect(decodeBatch(bytes).events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(spooledOfFrame(bytes).length).toBe(events.length + kpis.length);
  });

  it("keeps each batch intact while the next ones are written, in the same slab or a new one", () => {
    const encoder = new BatchEncoder();
    const batches: { bytes: Uint8Array; events: PendingEvent[] }[] = [];
    let n = 0;
    // ~2,500 events of ~0.5 kB, and some of 70 kB: several slabs, outgrown in the middle of a batch.
    for (let b = 0; b < 40; b++) {
      const events: PendingEvent[] = [];
      for (let i = 0; i < (b % 5) * 30 + 1; i++) {
        const e = toPendingEvent(makeEvent(`s-${n++}`));
        const big = n % 97 === 0 ? { ...e, values: [...e.values.slice(0, -1), "z".repeat(70_000)] } : e;
        events.push(big);
        encoder.add(big);
      }
      expect(encoder.count).toBe(events.length);
      batches.push({ bytes: encoder.take(b % 7 === 0 ? kpis : []), events });
      expect(encoder.count).toBe(0);
    }
    for (const [b, { bytes, events }] of batches.entries())
      same([events, b % 7 === 0 ? kpis : []], deserialize(bytes));
    // An empty batch (KPI records only, or nothing) is a valid one too.
    same([[], kpis], deserialize(encoder.take(kpis)));
    same([[], []], deserialize(encoder.take([])));
  });

  it("keeps nothing of an event it cannot encode, and nothing cleared", () => {
    const encoder = new BatchEncoder();
    const good = toPendingEvent(makeEvent("good"));
    encoder.add(good);
    const bad = { ...good, id: "bad", values: [...good.values, { not: "a value" } as never] };
    expect(() => encoder.add(bad)).toThrow(TypeError);
    expect(encoder.count).toBe(1);
    same([[good], []], deserialize(encoder.take([])));
    encoder.add(good);
    encoder.clear();
    encoder.add({ ...good, id: "after" });
    expect((deserialize(encoder.take([])) as [PendingEvent[]])[0].map((e) => e.id)).toEqual(["after"]);
  });
});

describe("batch-decoder.ts", () => {
  it("reads back exactly what deserialize reads: this encoder's batches and serialize()'s (older spools)", () => {
    const events = [odd, ...Array.from({ length: 50 }, (_, i) => toPendingEvent(makeEvent(`d-${i}`)))];
    for (const bytes of [encodeBatch(events, kpis), serialize([events, kpis])]) {
      const decoded = decodeBatchBytes(bytes);
      expect(decoded).toBeDefined();
      same(deserialize(bytes), decoded);
    }
    // serialize() writes a list shared by several events (event-row.ts NONE, frozen) once, then refers to it.
    const shared = Object.freeze([]) as readonly string[];
    const two = [
      { ...events[1]!, limitIds: shared, tags: shared },
      { ...events[2]!, tags: shared },
    ];
    same(deserialize(serialize([two, []])), decodeBatchBytes(serialize([two, []])));
  });

  it("gives each repeated string exactly as written, however alike the strings at a position (its string cache)", () => {
    // Strings that differ only in their last byte, Latin-1 beyond ASCII, the cache's length limit (64) on either
    // side, unique strings long enough to shut a position's cache and repeats after them to open it again, and
    // positions whose string changes kind (text, number, null, two-byte).
    const alike = (i: number) => `user-${String(i % 3).padStart(4, "0")}`;
    const latin = (i: number) => `caf${["é", "è", "e"][i % 3]}`;
    const edge = (i: number) => `${"z".repeat(63)}${i % 2}${i % 4 < 2 ? "" : "!"}`;
    const kinds = (i: number) => [alike(i), i, null, `€${i % 2}`, ""][i % 5]!;
    const event = (i: number): PendingEvent => ({
      id: `id-${i % 7 === 0 ? "same" : i}`,
      values: [alike(i), latin(i), edge(i), kinds(i), i < 600 ? `unique-${i}` : `back-${i % 2}`, `ts-${i}`],
      limitIds: i % 2 ? [alike(i + 1), latin(i)] : [],
      tags: [edge(i + 1)],
    });
    const events = Array.from({ length: 1_000 }, (_, i) => event(i));
    // Several batches in a row: the cache outlives one batch, and must never hand one batch's string to another.
    for (let b = 0; b < events.length; b += 128) {
      const bytes = encodeBatch(events.slice(b, b + 128), []);
      const decoded = decodeBatchBytes(bytes) as [PendingEvent[], PendingKpi[]];
      same(deserialize(bytes), decoded);
      same(events.slice(b, b + 128), decoded[0]);
    }
  });

  it("leaves what it does not read to deserialize, and decodeBatch still reads it", () => {
    const other = serialize([[{ id: "x", values: [new Date(0)], limitIds: [], tags: [] }], []]);
    expect(decodeBatchBytes(other)).toBeUndefined();
    expect(decodeBatch(other).events[0]!.values[0]).toEqual(new Date(0));
    const bytes = encodeBatch([toPendingEvent(makeEvent("t"))], []);
    for (const cut of [1, 2, 5, bytes.length - 1])
      expect(decodeBatchBytes(bytes.subarray(0, cut))).toBeUndefined();
    expect(
      decodeBatchBytes(
        new Uint8Array([
          0xff, 0x0f, 0x6f, 0x22, 9, 0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f, 0x30, 0x7b, 1,
        ]),
      ),
    ).toBeUndefined();
  });
});
