import { deserialize } from "node:v8";
import { decodeBatchBytes } from "./batch-decoder.js";
import { BatchEncoder } from "./batch-encoder.js";
import type { PendingEvent } from "./event-row.js";
import type { PendingKpi } from "./kpi-writer.js";

/** A ledger record as one JSON line of the spool (spool.ts): an event's bind values, or a KPI record's. */
export type Spooled =
  | { k: "e"; id: string; v: PendingEvent["values"]; l: readonly string[]; g: readonly string[] }
  /** KPI values are nano-unit bigints, which JSON cannot hold: kept as `{ n: "<digits>" }`. */
  | { k: "k"; id: string; v: readonly (string | number | { n: string } | null)[] };

export const toSpooled = {
  event: (e: PendingEvent): Spooled => ({ k: "e", id: e.id, v: e.values, l: e.limitIds, g: e.tags }),
  kpi: (values: PendingKpi): Spooled => ({
    k: "k",
    id: `kpi:${String(values[0])}`,
    v: values.map((x) => (typeof x === "bigint" ? { n: x.toString() } : x)),
  }),
};

export function fromSpooled(records: readonly Spooled[]): { events: PendingEvent[]; kpis: PendingKpi[] } {
  const events: PendingEvent[] = [];
  const kpis: PendingKpi[] = [];
  for (const r of records) {
    if (r.k === "e") events.push({ id: r.id, values: r.v, limitIds: r.l, tags: r.g });
    else kpis.push(r.v.map((x) => (x !== null && typeof x === "object" ? BigInt(x.n) : x)));
  }
  return { events, kpis };
}

/**
 * A batch as bytes (V8's serialization format, what postMessage uses; written by batch-encoder.ts): encoded once on
 * the app's thread, then posted, kept until acknowledged, and spooled as a frame (spool.ts) without being encoded
 * again. The bytes are in a SharedArrayBuffer, so the app's copy and the writer thread's are one block of memory,
 * and no object of the batch stays on the app's heap. The format is stable across Node versions (V8 reads older
 * versions), so a spool outlives an upgrade; `deserialize` reads these bytes and those of costtrail versions that
 * used `serialize()` alike.
 */
export function encodeBatch(events: readonly PendingEvent[], kpis: readonly PendingKpi[]): Uint8Array {
  encoder.clear();
  for (const e of events) encoder.add(e);
  return encoder.take(kpis);
}

/** Written by hand rather than by `serialize()`, which keeps what it serialized alive (batch-encoder.ts). */
const encoder = new BatchEncoder();

/** A batch's records: read by batch-decoder.ts (which keeps nothing alive), or else by `deserialize()`. */
export function decodeBatch(bytes: Uint8Array): { events: PendingEvent[]; kpis: PendingKpi[] } {
  const [events, kpis] = (decodeBatchBytes(bytes) ?? deserialize(bytes)) as [PendingEvent[], PendingKpi[]];
  return { events, kpis };
}

/** A spooled frame's records (Spool's `decodeFrame`), deduplicated by id on replay like JSON lines. */
export function spooledOfFrame(bytes: Uint8Array): Spooled[] {
  const { events, kpis } = decodeBatch(bytes);
  const records: Spooled[] = kpis.map(toSpooled.kpi);
  for (const e of events) records.push(toSpooled.event(e));
  return records;
}
