import type { Database } from "better-sqlite3";
import { COLUMN_INDEX as C, type PendingEvent } from "./event-row.js";

/**
 * Rollups (docs/ledger.md "Rollups"): exact integer sums of the report measures per hour, per UTC day and over
 * all time, for each report dimension, kept in `event_rollups` in the same transaction as the events they sum.
 * Reports read them for the whole hours and days of a range and read raw events only for the partial edges, so a
 * report over 10M events reads a few hundred thousand rows instead (an unfiltered one: one row per key). Only events at or after the epoch are rolled up (an
 * hour is `ts_ms / 3600000`, integer division); earlier ones are always read raw.
 *
 * SQLite stores the group's use case name and key in NOT NULL columns (`ucn_k`, `key_k`) with NULL encoded as
 * an empty BLOB, which never equals a text or an integer, so the clustered primary key is exact; queries decode
 * them with `nullif(…, X'')`. The Postgres ledger keeps no rollups: its reports aggregate the events in the
 * database, which meets the fleet's report goal, and maintaining rollups there (statement triggers) cut fleet
 * ingest to a third (docs/ledger.md "Rollups").
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/**
 * Hour, UTC day, or all time: one `a` row per dimension key over every event at or after the epoch, across use
 * cases (bucket 0, use case stored as none), which unfiltered reports read instead of every day's rows: one row
 * per group, already summed (queries.ts `allTimeReport`).
 */
export type Grain = "h" | "d" | "a";

/** Dimensions with their key: an event column (text or integer), none (`total`), or a label kind. */
export const ROLLUP_DIMS = {
  total: null,
  user: "user_id",
  instance: "use_case_id",
  account: "account_name",
  step: "use_case_step",
  version: "use_case_version",
  model: "request_model",
  provider: "provider",
} as const;
export type EventDim = keyof typeof ROLLUP_DIMS;
export type RollupDim = EventDim | "limit" | "tag";

/** Measure columns: a report's measures (REPORT_MEASURES, in RawRow order), then the unsplit cost sum (the spend chart's). */
export const ROLLUP_MEASURES = [
  "requests",
  "errors",
  "input_tokens",
  "output_tokens",
  "cost_nanos",
  "unpriced",
  "blocked",
  "estimated_nanos",
  "all_cost_nanos",
] as const;

/** The measures of a group of rows of `events` (or `event_labels`, same columns) aliased `e`, as SQL. */
export const ROLLUP_MEASURE_SQL = [
  "count(*)",
  "coalesce(sum(CASE WHEN e.status = 'error' THEN 1 ELSE 0 END), 0)",
  "coalesce(sum(e.input_tokens), 0)",
  "coalesce(sum(e.output_tokens), 0)",
  // Measured cost: estimates have their own column (docs/pricing.md "Estimated costs").
  "coalesce(sum(CASE WHEN e.cost_source = 'estimated' THEN 0 ELSE e.cost_nanos END), 0)",
  "count(*) - count(e.cost_nanos)",
  "coalesce(sum(CASE WHEN e.status = 'blocked' THEN 1 ELSE 0 END), 0)",
  "coalesce(sum(CASE WHEN e.cost_source = 'estimated' THEN e.cost_nanos ELSE e.estimated_nanos END), 0)",
  "coalesce(sum(e.cost_nanos), 0)",
] as const;

/** What a report shows (requests … estimated nano-USD): the rollup columns without the spend chart's sum. */
export const REPORT_MEASURES = ROLLUP_MEASURES.slice(0, 8);
/** The SQL of REPORT_MEASURES over raw events (every report query's measure columns, in that order). */
export const REPORT_MEASURE_SQL = ROLLUP_MEASURE_SQL.slice(0, 8);

const WIDTH = ROLLUP_MEASURES.length;
/** Empty BLOB: SQLite's stand-in for NULL in the rollup key (see above). */
const NONE = Buffer.alloc(0);

type Sum = number | bigint;
interface Group {
  dim: RollupDim;
  grain: Grain;
  bucket: number;
  ucn: string | null;
  key: string | number | null;
  m: Sum[];
}
const EVENT_DIM_COLUMNS = Object.entries(ROLLUP_DIMS) as [EventDim, string | null][];
const KEY_INDEX = EVENT_DIM_COLUMNS.map(([, col]) => (col === null ? -1 : C[col as keyof typeof C]));
const DIM_NAMES: readonly RollupDim[] = [...EVENT_DIM_COLUMNS.map(([d]) => d), "limit", "tag"];
const LIMIT_SLOT = EVENT_DIM_COLUMNS.length;
/** Dimensions with all-time rows: every one. */
export const ALL_TIME_DIMS: ReadonlySet<RollupDim> = new Set(DIM_NAMES);
/**
 * Dimensions with hour rows (schema v10): only `total`, for the spend chart's hour buckets and the totals of
 * short ranges. Every other dimension has day and all-time rows, and a range's partial days are read raw: hour
 * rows of user, instance, account or tag keys were ~40 % of the upserts at 5,000 events a transaction
 * (docs/ledger.md "Rollups").
 */
export const HOUR_DIMS: ReadonlySet<RollupDim> = new Set<RollupDim>(["total"]);
const TAG_SLOT = LIMIT_SLOT + 1;
const DIM_COUNT = TAG_SLOT + 1;
const TOTAL_SLOT = DIM_NAMES.indexOf("total");

type Slot = Map<string | null, Map<string | number | null, Group>>;

const SCRATCH: number[] = new Array<number>(WIDTH).fill(0);

/** Keeps hour buckets of `total` apart from day buckets in one map (hours since 1970 stay far below 2^40). */
const HOUR_BUCKET_BASE = 2 ** 40;

/** Adds measures `m` into `into`, exact. */
function addInto(into: Sum[], m: readonly Sum[]): void {
  for (let i = 0; i < WIDTH; i++) {
    const x = m[i]!;
    if (x === 0) continue;
    const a = into[i]!;
    if (typeof a === "number" && typeof x === "number") {
      const s = a + x;
      into[i] = Number.isSafeInteger(s) ? s : BigInt(a) + BigInt(x);
    } else into[i] = BigInt(a) + BigInt(x);
  }
}

/**
 * Sums a batch's new events into rollup groups, in JS: a batch's events share few days, so the groups are far
 * fewer than the events, and each group is one upsert. Each event is added once per dimension, to its group of
 * the finest grain kept (the hour for `total`, the day for the others); the coarser groups (days of hours,
 * all time of days) are summed from those groups when the batch is read, once per group instead of once per
 * event. Nested maps keyed by the stored values themselves (no key strings built per event; the text "1" and
 * the integer 1 stay different keys, as in SQLite).
 */
export class RollupBatch {
  /** bucket (hour for total, day for the others) → one slot per dimension → use case name → key → group. */
  readonly #fine = new Map<number, Slot[]>();
  #size = 0;
  /**
   * Per dimension, the group the last event was added to, with its slots, use case name and key: an instance's
   * calls tend to come together (one user, account and use case), so the next event's group is often the same,
   * found without the two map look-ups (the keys compared with `===`, as the maps compare them).
   */
  readonly #lastSlots: (Slot[] | undefined)[] = new Array(DIM_COUNT).fill(undefined);
  readonly #lastUcn: (string | null)[] = new Array(DIM_COUNT).fill(null);
  readonly #lastKey: (string | number | null)[] = new Array(DIM_COUNT).fill(null);
  readonly #lastGroup: (Group | undefined)[] = new Array(DIM_COUNT).fill(undefined);

  /** Adds one event that the batch inserted (not a duplicate), with its label values. */
  add(e: PendingEvent): void {
    const v = e.values;
    const ts = v[C.ts_ms] as number;
    if (!(ts >= 0)) return;
    const status = v[C.status];
    const source = v[C.cost_source];
    const nanos = v[C.cost_nanos] as number | null;
    const est = v[C.estimated_nanos] as number | null;
    // One scratch array for every event (addInto copies from it): no allocation per event.
    const m = SCRATCH;
    m[0] = 1;
    m[1] = status === "error" ? 1 : 0;
    m[2] = v[C.input_tokens] as number;
    m[3] = v[C.output_tokens] as number;
    m[4] = source === "estimated" ? 0 : (nanos ?? 0);
    m[5] = nanos === null ? 1 : 0;
    m[6] = status === "blocked" ? 1 : 0;
    m[7] = source === "estimated" ? (nanos ?? 0) : (est ?? 0);
    m[8] = nanos ?? 0;
    const ucn = v[C.use_case_name] as string | null;
    const hour = Math.floor(ts / HOUR_MS);
    const day = Math.floor(ts / DAY_MS);
    this.#add(this.#slots(hour + HOUR_BUCKET_BASE), TOTAL_SLOT, "h", hour, ucn, null, m);
    const slots = this.#slots(day);
    for (let d = 0; d < EVENT_DIM_COLUMNS.length; d++) {
      if (d === TOTAL_SLOT) continue;
      const i = KEY_INDEX[d]!;
      this.#add(slots, d, "d", day, ucn, i < 0 ? null : (v[i] as string | number | null), m);
    }
    if (e.limitIds.length === 0) this.#add(slots, LIMIT_SLOT, "d", day, ucn, null, m);
    else for (const l of e.limitIds) this.#add(slots, LIMIT_SLOT, "d", day, ucn, l, m);
    if (e.tags.length === 0) this.#add(slots, TAG_SLOT, "d", day, ucn, null, m);
    else for (const t of e.tags) this.#add(slots, TAG_SLOT, "d", day, ucn, t, m);
  }

  #slots(bucket: number): Slot[] {
    let slots = this.#fine.get(bucket);
    if (!slots) {
      slots = Array.from({ length: DIM_COUNT }, () => new Map());
      this.#fine.set(bucket, slots);
    }
    return slots;
  }

  #add(
    slots: Slot[],
    d: number,
    grain: Grain,
    bucket: number,
    ucn: string | null,
    key: string | number | null,
    m: readonly number[],
  ): void {
    const last = this.#lastGroup[d];
    if (last && this.#lastSlots[d] === slots && this.#lastUcn[d] === ucn && this.#lastKey[d] === key) {
      addInto(last.m, m);
      return;
    }
    let byKey = slots[d]!.get(ucn);
    if (!byKey) {
      byKey = new Map();
      slots[d]!.set(ucn, byKey);
    }
    let g = byKey.get(key);
    if (!g) {
      g = { dim: DIM_NAMES[d]!, grain, bucket, ucn, key, m: new Array<Sum>(WIDTH).fill(0) };
      byKey.set(key, g);
      this.#size++;
    }
    this.#lastSlots[d] = slots;
    this.#lastUcn[d] = ucn;
    this.#lastKey[d] = key;
    this.#lastGroup[d] = g;
    addInto(g.m, m);
  }

  /** Groups of the finest grain (what `add` summed into): hours of `total`, days of the others. */
  get size(): number {
    return this.#size;
  }

  /** Every group to upsert: the summed ones, then the days of `total` and the all-time rows derived from them. */
  groups(): Group[] {
    const out: Group[] = [];
    const days = new Map<string | null, Map<number, Group>>();
    const allTime = DIM_NAMES.map(() => new Map<string | number | null, Group>());
    const derive = (g: Group) => {
      // The all-time row of a day group: one per dimension and key, across use cases (bucket 0).
      if (!ALL_TIME_DIMS.has(g.dim)) return;
      const slot = allTime[DIM_NAMES.indexOf(g.dim)]!;
      let a = slot.get(g.key);
      if (!a) {
        a = { dim: g.dim, grain: "a", bucket: 0, ucn: null, key: g.key, m: new Array<Sum>(WIDTH).fill(0) };
        slot.set(g.key, a);
      }
      addInto(a.m, g.m);
    };
    for (const slots of this.#fine.values())
      for (const byUcn of slots)
        for (const byKey of byUcn.values())
          for (const g of byKey.values()) {
            out.push(g);
            if (g.grain === "d") derive(g);
            else {
              // An hour of `total`: summed into its day.
              let byDay = days.get(g.ucn);
              if (!byDay) {
                byDay = new Map();
                days.set(g.ucn, byDay);
              }
              const bucket = Math.floor(g.bucket / 24);
              let dg = byDay.get(bucket);
              if (!dg) {
                dg = {
                  dim: g.dim,
                  grain: "d",
                  bucket,
                  ucn: g.ucn,
                  key: null,
                  m: new Array<Sum>(WIDTH).fill(0),
                };
                byDay.set(bucket, dg);
              }
              addInto(dg.m, g.m);
            }
          }
    for (const byDay of days.values())
      for (const dg of byDay.values()) {
        out.push(dg);
        derive(dg);
      }
    for (const slot of allTime) for (const a of slot.values()) out.push(a);
    return out;
  }
}

/** Rows per multi-row upsert statement (14 parameters each; well under SQLite's 32,766). */
const UPSERT_ROWS = 128;

/** The SQLite upsert of rollup groups (adds to each row, or creates it), many rows per statement. */
export function createRollupUpsert(db: Database): (batch: RollupBatch) => void {
  const cols = ROLLUP_MEASURES.join(", ");
  const row = `(${new Array(5 + WIDTH).fill("?").join(", ")})`;
  const sql = (n: number) =>
    `INSERT INTO event_rollups (dim, grain, bucket, ucn_k, key_k, ${cols})
     VALUES ${new Array(n).fill(row).join(", ")}
     ON CONFLICT (dim, grain, bucket, ucn_k, key_k) DO UPDATE SET
     ${ROLLUP_MEASURES.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;
  const many = db.prepare(sql(UPSERT_ROWS));
  const one = db.prepare(sql(1));
  return (batch) => {
    const params: unknown[] = [];
    let rows = 0;
    for (const g of batch.groups()) {
      params.push(g.dim, g.grain, g.bucket, g.ucn ?? NONE, g.key ?? NONE, ...g.m);
      if (++rows === UPSERT_ROWS) {
        many.run(...params);
        params.length = 0;
        rows = 0;
      }
    }
    const w = 5 + WIDTH;
    for (let i = 0; i < rows; i++) one.run(...params.slice(i * w, (i + 1) * w));
  };
}

// ---- rebuilding from events (migration backfill, re-pricing) ----------------------------------------------

/** The grouped SELECT of rollup rows from events (or labels) aliased `e` over `where`. */
function rollupSelect(source: string, where: string, labels: boolean): string[] {
  const measures = ROLLUP_MEASURE_SQL.join(", ");
  const nullable = (x: string) => `coalesce(${x}, X'')`;
  const out: string[] = [];
  for (const [grain, size] of [
    ["h", HOUR_MS],
    ["d", DAY_MS],
  ] as const) {
    const bucket = `e.ts_ms / ${size}`;
    const cond = `e.ts_ms >= 0${where ? ` AND ${where}` : ""}`;
    // Hour rows only for the dimensions that keep them (HOUR_DIMS): never a label kind.
    if (grain === "h" && labels) continue;
    if (labels) {
      // Labelled rows from the labels table (value is never null), one group per kind and value.
      out.push(
        `SELECT e.kind, '${grain}', ${bucket}, ${nullable("e.use_case_name")}, e.value, ${measures}
         FROM ${source} WHERE ${cond} GROUP BY e.kind, ${bucket}, e.use_case_name, e.value`,
      );
      continue;
    }
    for (const [dim, col] of EVENT_DIM_COLUMNS) {
      if (grain === "h" && !HOUR_DIMS.has(dim)) continue;
      const key = col === null ? "X''" : `coalesce(e.${col}, X'')`;
      out.push(
        `SELECT '${dim}', '${grain}', ${bucket}, ${nullable("e.use_case_name")}, ${key}, ${measures}
         FROM ${source} WHERE ${cond} GROUP BY ${bucket}, e.use_case_name${col ? `, e.${col}` : ""}`,
      );
    }
    // Events without any value of a label kind: that kind's null-key group.
    for (const kind of ["limit", "tag"] as const) {
      if (grain === "h" && !HOUR_DIMS.has(kind)) continue;
      const none = "X''";
      out.push(
        `SELECT '${kind}', '${grain}', ${bucket}, ${nullable("e.use_case_name")}, ${none}, ${measures}
         FROM ${source} WHERE ${cond} AND e.${kind}_count = 0 GROUP BY ${bucket}, e.use_case_name`,
      );
    }
  }
  return out;
}

/** Column list of an INSERT into event_rollups. */
export function rollupInsertColumns(): string {
  return `dim, grain, bucket, ucn_k, key_k, ${ROLLUP_MEASURES.join(", ")}`;
}

/** Statements that add the rollup rows of `source` (events or their labels, aliased e) over `where`. */
export function rollupInserts(eventsSource: string, labelsSource: string | null, where: string): string[] {
  const cols = rollupInsertColumns();
  const selects = [
    ...rollupSelect(eventsSource, where, false),
    ...(labelsSource ? rollupSelect(labelsSource, where, true) : []),
  ];
  return selects.map((s) => `INSERT INTO event_rollups (${cols}) ${s}`);
}

/**
 * Replaces every all-time row with the sums of the day rows (which cover the same events: every one at or after
 * the epoch), per dimension and key, across use cases. After a backfill or a re-pricing, in its transaction.
 */
export function rebuildAllTimeRollups(db: Database): void {
  const dims = [...ALL_TIME_DIMS].map((d) => `'${d}'`).join(", ");
  db.prepare("DELETE FROM event_rollups WHERE grain = 'a'").run();
  db.prepare(
    `INSERT INTO event_rollups (${rollupInsertColumns()})
     SELECT dim, 'a', 0, X'', key_k, ${ROLLUP_MEASURES.map((c) => `sum(${c})`).join(", ")}
     FROM event_rollups WHERE grain = 'd' AND dim IN (${dims}) GROUP BY dim, key_k`,
  ).run();
}

/** The DDL of SQLite's rollup table (schema v9). */
export const SQLITE_ROLLUP_TABLE = `
CREATE TABLE event_rollups (
  dim             TEXT NOT NULL,
  grain           TEXT NOT NULL CHECK (grain IN ('h', 'd', 'a')),
  bucket          INTEGER NOT NULL,
  ucn_k           NOT NULL,
  key_k           NOT NULL,
  ${ROLLUP_MEASURES.map((c) => `${c} INTEGER NOT NULL`).join(",\n  ")},
  PRIMARY KEY (dim, grain, bucket, ucn_k, key_k)
) WITHOUT ROWID;
`;

/**
 * Recomputes the rollups of the UTC days holding `tsMs` from the events (re-pricing rewrote their costs). Runs
 * in the caller's transaction.
 */
export function rebuildRollupDays(db: Database, tsMs: Iterable<number>): void {
  const days = new Set<number>();
  for (const ts of tsMs) if (ts >= 0) days.add(Math.floor(ts / DAY_MS));
  if (days.size === 0) return;
  const del = db.prepare(
    "DELETE FROM event_rollups WHERE (grain = 'd' AND bucket = ?) OR (grain = 'h' AND bucket >= ? AND bucket < ?)",
  );
  const inserts = [...rollupInserts("events e", "event_labels e", "e.ts_ms >= ? AND e.ts_ms < ?")].map(
    (sql) => db.prepare(sql),
  );
  for (const day of [...days].sort((a, b) => a - b)) {
    del.run(day, day * 24, day * 24 + 24);
    for (const stmt of inserts) stmt.run(day * DAY_MS, (day + 1) * DAY_MS);
  }
  rebuildAllTimeRollups(db);
}

// ---- reading: which parts of a range come from rollups -----------------------------------------------------

/** Bucket ranges read from rollups (hi exclusive; null: open) and event time ranges read raw. */
export interface RollupPlan {
  parts: { grain: Grain; lo: number; hi: number | null }[];
  /** Raw event ranges [lo, hi) in ms (null: open), covering exactly what the parts do not. */
  raw: { lo: number | null; hi: number | null }[];
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);
/** The farthest instant a Date holds, in ms from the epoch (ECMAScript's limit). */
const MAX_DATE_MS = 8.64e15;

/**
 * Splits [since, until) (either open) into whole days, whole hours at their edges, and raw edges. Every instant
 * is in exactly one piece; rollups cover only ts_ms >= 0.
 */
export function planRollups(
  since: number | undefined,
  until: number | undefined,
  hoursOnly = false,
  /** The all-time rows may stand for the whole range from the epoch on (no use case filter, a plain key). */
  allTime = false,
  /** Whether the dimension keeps hour rows (HOUR_DIMS); without them a range's partial days are read raw. */
  hours = true,
): RollupPlan {
  if (hoursOnly && !hours) throw new Error("hour buckets need a dimension with hour rows");
  if (allTime && !hoursOnly && until === undefined && (since === undefined || since <= 0)) {
    // Everything from the epoch on is in the all-time rows; only events before it (if any) are read raw.
    const raw: RollupPlan["raw"] = since === 0 ? [] : [{ lo: since ?? -MAX_DATE_MS, hi: 0 }];
    return { parts: [{ grain: "a", lo: 0, hi: null }], raw };
  }
  const s0 = Math.max(since ?? 0, 0);
  if (until !== undefined && until <= s0) return { parts: [], raw: [{ lo: since ?? null, hi: until }] };
  if (!hours) {
    const dStart = ceilDiv(s0, DAY_MS);
    const dEnd = until === undefined ? null : Math.floor(until / DAY_MS);
    if (dEnd !== null && dEnd <= dStart) return { parts: [], raw: [{ lo: since ?? null, hi: until! }] };
    const raw: RollupPlan["raw"] = [];
    // A lower bound even when the range has none: see the hour case below.
    if (since === undefined || since < dStart * DAY_MS)
      raw.push({ lo: since ?? -MAX_DATE_MS, hi: dStart * DAY_MS });
    if (dEnd !== null && dEnd * DAY_MS < until!) raw.push({ lo: dEnd * DAY_MS, hi: until! });
    return { parts: [{ grain: "d", lo: dStart, hi: dEnd }], raw };
  }
  const hStart = ceilDiv(s0, HOUR_MS);
  const hEnd = until === undefined ? null : Math.floor(until / HOUR_MS);
  if (hEnd !== null && hEnd <= hStart) return { parts: [], raw: [{ lo: since ?? null, hi: until! }] };
  const parts: RollupPlan["parts"] = [];
  const dStart = ceilDiv(hStart, 24);
  const dEnd = hEnd === null ? null : Math.floor(hEnd / 24);
  if (!hoursOnly && (dEnd === null || dEnd > dStart)) {
    if (hStart < dStart * 24) parts.push({ grain: "h", lo: hStart, hi: dStart * 24 });
    parts.push({ grain: "d", lo: dStart, hi: dEnd });
    if (dEnd !== null && dEnd * 24 < hEnd!) parts.push({ grain: "h", lo: dEnd * 24, hi: hEnd });
  } else parts.push({ grain: "h", lo: hStart, hi: hEnd });
  const raw: RollupPlan["raw"] = [];
  const startMs = hStart * HOUR_MS;
  // The edge before the rollups gets a lower bound even when the range has none (every Date is within ±8.64e15 ms):
  // a range bounded on both sides is what makes SQLite's planner seek the time index for it, instead of scanning
  // a covering index in group order for the few events before 1970.
  if (since === undefined || since < startMs) raw.push({ lo: since ?? -MAX_DATE_MS, hi: startMs });
  if (hEnd !== null && hEnd * HOUR_MS < until!) raw.push({ lo: hEnd * HOUR_MS, hi: until! });
  return { parts, raw };
}

// ---- reading: the union of rollup rows and raw edges ------------------------------------------------------

/** Connections known to hold rollups (a file of an older schema, opened read-only, has none). */
const readable = new WeakSet<object>();

/** Whether a connection's ledger has rollups to read (SQLite files of schema v9 on; never Postgres). */
export function hasRollups(db: Database): boolean {
  if (readable.has(db)) return true;
  if ((db as unknown as { dialect?: string }).dialect === "postgres") return false;
  const found =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_rollups'").get() !==
    undefined;
  if (found) readable.add(db);
  return found;
}

/** A rollup row's use case name and key, decoded, as SQL on alias `r`. */
export const ROLLUP_COLUMNS = { ucn: "nullif(r.ucn_k, X'')", key: "nullif(r.key_k, X'')" } as const;

/** One raw part of a union: grouped rows of `from` (aliased e) with its own conditions. */
export interface RawPart {
  from: string;
  /** The key expression (as the events query groups by), or null for one ungrouped row. */
  group: string | null;
  /** GROUP BY list when more than the key (default: the key). */
  groupBy?: string;
  /** The use case name column of the union (e.g. `max(e.use_case_name)`), or `NULL`. */
  ucn: string;
  where: string[];
  params: (string | number)[];
}

export interface UnionSpec {
  dim: RollupDim;
  /** The key of a rollup row, by grain (default: the decoded key). */
  key?: (grain: Grain, columns: { ucn: string; key: string }) => string;
  /** The union's use case name column from a rollup row: its name (instances) or `NULL`. */
  withUseCase: boolean;
  /** Raw parts; the piece's time range and the use case filter are added to each. */
  raw: RawPart[];
  /** The measure SQL of a raw part (default: REPORT_MEASURE_SQL). */
  measures?: readonly string[];
  /** Rollup measure columns to read (default: REPORT_MEASURES). */
  columns?: readonly string[];
  /** Read hour rows only (hour buckets of the spend chart: a day row cannot be split). */
  hoursOnly?: boolean;
  /**
   * Whether the all-time rows may answer an unbounded range without a use case filter: the key is the decoded
   * key (not the use case, not the bucket) and the union's use case column is `NULL` (not for instances).
   */
  allTime?: boolean;
}

/**
 * Whether the ledger holds events before the epoch (never rolled up: read raw). One seek of the time index; when
 * there are none, a range's part before the epoch is left out rather than read (for labels, that read is a scan
 * of every label of the kind: the labels table has no time index).
 */
export function hasPreEpochEvents(db: Database): boolean {
  return db.prepare("SELECT 1 FROM events WHERE ts_ms < 0 LIMIT 1").get() !== undefined;
}

/**
 * `SELECT k, ucn, m0…` rows whose sums over a key equal the raw events query's over [since, until): rollup rows
 * for whole hours and days, grouped raw rows for the edges. Params in order.
 */
export function rollupUnion(
  spec: UnionSpec,
  since: number | undefined,
  until: number | undefined,
  useCase: string | undefined,
  /** The ledger; given, a raw part wholly before the epoch is left out when it holds no events. */
  db?: Database,
): { sql: string; params: (string | number)[] } {
  const plan = planRollups(
    since,
    until,
    spec.hoursOnly,
    spec.allTime === true && useCase === undefined && ALL_TIME_DIMS.has(spec.dim),
    HOUR_DIMS.has(spec.dim),
  );
  // (Kept when it is all there is to read: the union needs one SELECT.)
  const later = plan.raw.filter((r) => r.hi === null || r.hi > 0);
  if (db && later.length < plan.raw.length && plan.parts.length + later.length > 0 && !hasPreEpochEvents(db))
    plan.raw = later;
  const cols = ROLLUP_COLUMNS;
  const columns = spec.columns ?? REPORT_MEASURES;
  const measures = spec.measures ?? REPORT_MEASURE_SQL;
  const selects: string[] = [];
  const params: (string | number)[] = [];
  const alias = (i: number) => `m${i}`;
  for (const part of plan.parts) {
    const key = spec.key ? spec.key(part.grain, cols) : cols.key;
    let where = "r.dim = ? AND r.grain = ? AND r.bucket >= ?";
    params.push(spec.dim, part.grain, part.lo);
    if (part.hi !== null) {
      where += " AND r.bucket < ?";
      params.push(part.hi);
    }
    if (useCase !== undefined) {
      where += " AND r.ucn_k = ?";
      params.push(useCase);
    }
    selects.push(
      `SELECT ${key} AS k, ${spec.withUseCase ? cols.ucn : "NULL"} AS ucn, ${columns.map((c, i) => `r.${c} AS ${alias(i)}`).join(", ")}
       FROM event_rollups r WHERE ${where}`,
    );
  }
  for (const range of plan.raw) {
    for (const raw of spec.raw) {
      const where = [...raw.where];
      const p = [...raw.params];
      if (range.lo !== null) {
        where.push("e.ts_ms >= ?");
        p.push(range.lo);
      }
      if (range.hi !== null) {
        where.push("e.ts_ms < ?");
        p.push(range.hi);
      }
      if (useCase !== undefined) {
        where.push("e.use_case_name = ?");
        p.push(useCase);
      }
      const whereSql = where.length ? `WHERE ${where.join(" AND ")}` : "";
      const tail = raw.group === null ? "HAVING count(*) > 0" : `GROUP BY ${raw.groupBy ?? raw.group}`;
      selects.push(
        `SELECT ${raw.group ?? "NULL"} AS k, ${raw.ucn} AS ucn, ${measures.map((m, i) => `${m} AS ${alias(i)}`).join(", ")}
         FROM ${raw.from} ${whereSql} ${tail}`,
      );
      params.push(...p);
    }
  }
  return { sql: selects.join("\nUNION ALL\n"), params };
}
