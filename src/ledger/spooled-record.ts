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
