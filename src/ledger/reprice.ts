import { randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";
import { priceUsageEvent } from "../pricing/event-price.js";
import { nanosToMicros } from "../pricing/money.js";
import type { Pricer } from "../pricing/pricer.js";
import type { TimeBound } from "./durations.js";
import { EVENT_COLUMNS, fromEventRow } from "./event-row.js";
import { eventFilter } from "./queries.js";
import { hasRollups, rebuildRollupDays } from "./rollups.js";

export interface RepriceOptions {
  /** Inclusive; same forms as a report's (`30d`, an ISO date). Absent: from the first event. */
  since?: TimeBound;
  /** Exclusive. */
  until?: TimeBound;
  /** Show what would change, write nothing. */
  dryRun: boolean;
  now?: number;
}

/** Old and new cost of one model's events in the range (requested model and provider, as `report --by model`). */
export interface RepriceModelRow {
  provider: string;
  model: string;
  events: number;
  /** Events whose cost, source or price source differs under the current table. */
  changed: number;
  /** Exact nano-USD sums as decimal strings (docs/pricing.md "Exact money"); unpriced events count 0. */
  oldNanos: string;
  newNanos: string;
  deltaNanos: string;
}

export interface RepriceResult {
  dryRun: boolean;
  /** The id the run's changes are recorded under (reprice_runs); null for a dry run or when nothing changed. */
  runId: string | null;
  since: string | null;
  until: string | null;
  /** Events looked at: every one in the range except blocked calls (never sent, no cost). */
  events: number;
  changed: number;
  /** Events priced by an application override, left as they are: the CLI does not know the app's overrides. */
  keptOverrides: number;
  models: RepriceModelRow[];
  totals: { oldNanos: string; newNanos: string; deltaNanos: string };
}

interface Change {
  id: string;
  tsMs: number;
  oldNanos: number | null;
  oldMicros: number | null;
  oldSource: string;
  oldPriceSource: string | null;
  newNanos: number | null;
  newSource: string;
  newPriceSource: string | null;
  newBreakdown: string | null;
}

type Row = Parameters<typeof fromEventRow>[0];

/**
 * Prices the range's events again with `pricer` (the current table, at each call's own date) and, unless a dry
 * run, rewrites those whose price changed — events and their label copies — in one transaction, recording each
 * change with its old cost in reprice_changes under one reprice_runs row (docs/pricing.md "Re-pricing").
 * Portable SQL: runs on a SQLite file and a Postgres ledger (PgSyncConnection) alike.
 */
export function reprice(db: Database, pricer: Pricer, opts: RepriceOptions): RepriceResult {
  const filter = eventFilter({ since: opts.since, until: opts.until, now: opts.now ?? Date.now() });
  const where = ["e.status <> 'blocked'", ...filter.where].join(" AND ");
  const rows = db
    .prepare(
      `SELECT ${EVENT_COLUMNS.map((c) => `e.${c}`).join(", ")} FROM events e WHERE ${where} ORDER BY e.ts_ms, e.id`,
    )
    .all(filter.params) as Row[];

  const models = new Map<string, { row: RepriceModelRow; old: bigint; new: bigint }>();
  const changes: Change[] = [];
  let keptOverrides = 0;
  for (const row of rows) {
    const event = fromEventRow(row);
    const oldNanos = row.cost_nanos == null ? null : Number(row.cost_nanos);
    let newNanos = oldNanos;
    if (event.costSource === "override") keptOverrides++;
    else {
      const price = priceUsageEvent(pricer, event);
      newNanos = price.costNanos ?? null;
      const newPriceSource = price.priceSource ?? null;
      const newBreakdown = price.costBreakdown ? JSON.stringify(price.costBreakdown) : null;
      const oldBreakdown = typeof row.cost_breakdown === "string" ? row.cost_breakdown : null;
      if (
        newNanos !== oldNanos ||
        price.costSource !== event.costSource ||
        newPriceSource !== (event.priceSource ?? null) ||
        newBreakdown !== oldBreakdown
      ) {
        changes.push({
          id: event.id,
          tsMs: Number(row.ts_ms),
          oldNanos,
          oldMicros: event.costMicros,
          oldSource: event.costSource,
          oldPriceSource: event.priceSource ?? null,
          newNanos,
          newSource: price.costSource,
          newPriceSource,
          newBreakdown,
        });
      }
    }
    const key = `${event.provider}\0${event.requestModel}`;
    let m = models.get(key);
    if (!m) {
      m = {
        row: {
          provider: event.provider,
          model: event.requestModel,
          events: 0,
          changed: 0,
          oldNanos: "0",
          newNanos: "0",
          deltaNanos: "0",
        },
        old: 0n,
        new: 0n,
      };
      models.set(key, m);
    }
    m.row.events++;
    if (changes.at(-1)?.id === event.id) m.row.changed++;
    m.old += BigInt(oldNanos ?? 0);
    m.new += BigInt(newNanos ?? 0);
  }

  let oldTotal = 0n;
  let newTotal = 0n;
  const modelRows = [...models.values()].map((m) => {
    oldTotal += m.old;
    newTotal += m.new;
    return { ...m.row, oldNanos: String(m.old), newNanos: String(m.new), deltaNanos: String(m.new - m.old) };
  });
  // Largest change first, then by name: what moved the bill most is what to look at.
  const abs = (s: string) => (s.startsWith("-") ? BigInt(s.slice(1)) : BigInt(s));
  modelRows.sort(
    (a, b) =>
      Number(abs(b.deltaNanos) > abs(a.deltaNanos)) - Number(abs(b.deltaNanos) < abs(a.deltaNanos)) ||
      (a.provider + a.model < b.provider + b.model ? -1 : 1),
  );

  const runId = !opts.dryRun && changes.length > 0 ? randomUUID() : null;
  if (runId) writeChanges(db, runId, filter.since, filter.until, changes);
  return {
    dryRun: opts.dryRun,
    runId,
    since: filter.since === undefined ? null : new Date(filter.since).toISOString(),
    until: filter.until === undefined ? null : new Date(filter.until).toISOString(),
    events: rows.length,
    changed: changes.length,
    keptOverrides,
    models: modelRows,
    totals: {
      oldNanos: String(oldTotal),
      newNanos: String(newTotal),
      deltaNanos: String(newTotal - oldTotal),
    },
  };
}

function writeChanges(
  db: Database,
  runId: string,
  since: number | undefined,
  until: number | undefined,
  changes: readonly Change[],
): void {
  const insertRun = db.prepare(
    `INSERT INTO reprice_runs (id, run_ms, since_ms, until_ms, events, old_nanos, new_nanos)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertChange = db.prepare(
    `INSERT INTO reprice_changes (run_id, event_id, old_cost_nanos, old_cost_micros, old_cost_source,
       old_price_source, new_cost_nanos, new_cost_source, new_price_source)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateEvent = db.prepare(
    `UPDATE events SET cost_nanos = ?, cost_micros = ?, cost_source = ?, price_source = ?, cost_breakdown = ?
      WHERE id = ?`,
  );
  // The label rows copy the event's cost (schema.ts): rewritten with it, so label reports agree. With its ts_ms:
  // SQLite's labels are keyed (ts_ms, event_id, …) since v11, so this is a seek, not a scan of every label.
  const updateLabels = db.prepare(
    "UPDATE event_labels SET cost_nanos = ?, cost_micros = ?, cost_source = ? WHERE ts_ms = ? AND event_id = ?",
  );
  let oldSum = 0n;
  let newSum = 0n;
  for (const c of changes) {
    oldSum += BigInt(c.oldNanos ?? 0);
    newSum += BigInt(c.newNanos ?? 0);
  }
  const write = db.transaction(() => {
    insertRun.run(runId, Date.now(), since ?? null, until ?? null, changes.length, oldSum, newSum);
    for (const c of changes) {
      const micros = c.newNanos === null ? null : nanosToMicros(c.newNanos);
      insertChange.run(
        runId,
        c.id,
        c.oldNanos,
        c.oldMicros,
        c.oldSource,
        c.oldPriceSource,
        c.newNanos,
        c.newSource,
        c.newPriceSource,
      );
      updateEvent.run(c.newNanos, micros, c.newSource, c.newPriceSource, c.newBreakdown, c.id);
      updateLabels.run(c.newNanos, micros, c.newSource, c.tsMs, c.id);
    }
    // The rollups of the days these events are in, summed again from the rewritten events (rollups.ts).
    if (hasRollups(db))
      rebuildRollupDays(
        db,
        changes.map((c) => c.tsMs),
      );
  });
  write.immediate();
}
