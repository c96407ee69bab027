import type { Database } from "better-sqlite3";
import { log } from "../log.js";
import type { KpiDefinition } from "../types.js";
import { upsertKpiDefinitions } from "./ledger-queries.js";

/** Writes `instrument({ kpis })` to the ledger for the CLI and dashboard. Never throws: a failure is logged. */
export function storeKpiDefinitions(db: Database | null | undefined, defs: readonly KpiDefinition[]): void {
  if (defs.length === 0 || !db) return;
  try {
    upsertKpiDefinitions(db, defs, Date.now());
  } catch (error) {
    log.error(
      "cannot store the KPI definitions in the ledger; reports will treat those KPIs as undefined",
      error,
    );
  }
}
