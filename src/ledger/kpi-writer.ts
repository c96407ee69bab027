import type { Database } from "better-sqlite3";
import { toNanos } from "../kpis/nanos.js";
import type { KpiRecord } from "../types.js";

/** A KPI record as bind values, snapshotted at `writeKpis()` time (see event-row.ts for events). */
export type PendingKpi = readonly (string | number | bigint | null)[];

export const KPI_COLUMNS = [
  "id",
  "ts",
  "ts_ms",
  "name",
  "value_nanos",
  "unit",
  "kind",
  "use_case_name",
  "use_case_id",
  "use_case_version",
  "user_id",
  "account_name",
] as const;

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** Throws for a record without an id, name or instance (recordKpi never makes one). */
export function toPendingKpi(k: KpiRecord): PendingKpi {
  if (!k.id || !k.name || !k.useCaseName || !k.useCaseId) throw new TypeError("KPI record is incomplete");
  const parsed = Date.parse(k.ts);
  const tsMs = Number.isFinite(parsed) ? parsed : Date.now();
  return [
    k.id,
    Number.isFinite(parsed) ? k.ts : new Date(tsMs).toISOString(),
    tsMs,
    k.name,
    toNanos(k.value),
    str(k.unit),
    k.kind,
    k.useCaseName,
    k.useCaseId,
    Number.isSafeInteger(k.useCaseVersion) ? (k.useCaseVersion as number) : null,
    str(k.userId),
    str(k.accountName),
  ];
}

/** Writes KPI records in one IMMEDIATE transaction; re-sent ids are ignored. */
export function createKpiWriter(db: Database): (batch: readonly PendingKpi[]) => void {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO kpis (${KPI_COLUMNS.join(", ")}) VALUES (${KPI_COLUMNS.map(() => "?").join(", ")})`,
  );
  const writeBatch = db.transaction((batch: readonly PendingKpi[]) => {
    for (const values of batch) insert.run(values);
  });
  return (batch) => writeBatch.immediate(batch);
}
