// Every SQL statement of src/kpis, in plain portable SQL (no SQLite-only functions), so the Postgres ledger
// can run the same text through its own connection.
import type { Database } from "better-sqlite3";
import type { KpiDefinition, KpiGoalOp, KpiKind } from "../types.js";

const UPSERT_DEFINITION = `
INSERT INTO kpi_definitions (use_case_name, name, kind, goal_op, goal_value, roi, description, updated_ms)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (use_case_name, name) DO UPDATE SET
  kind = excluded.kind, goal_op = excluded.goal_op, goal_value = excluded.goal_value, roi = excluded.roi,
  description = excluded.description, updated_ms = excluded.updated_ms`;

/** Stores (or replaces) definitions, so the CLI and dashboard know each KPI's kind, goal and ROI role. */
export function upsertKpiDefinitions(db: Database, defs: readonly KpiDefinition[], nowMs: number): void {
  const upsert = db.prepare(UPSERT_DEFINITION);
  db.transaction(() => {
    for (const d of defs) {
      upsert.run(
        d.useCase,
        d.name,
        d.kind,
        d.goal?.op ?? null,
        d.goal?.value ?? null,
        d.roi ? 1 : 0,
        d.description ?? null,
        nowMs,
      );
    }
  }).immediate();
}

interface DefinitionRow {
  use_case_name: string;
  name: string;
  kind: KpiKind;
  goal_op: KpiGoalOp | null;
  goal_value: number | null;
  roi: number;
  description: string | null;
}

/** Every stored definition, by use case then name. */
export function readKpiDefinitions(db: Database): KpiDefinition[] {
  const rows = db
    .prepare(
      `SELECT use_case_name, name, kind, goal_op, goal_value, roi, description FROM kpi_definitions
       ORDER BY use_case_name, name`,
    )
    .all() as DefinitionRow[];
  return rows.map((r) => {
    const d: KpiDefinition = { name: r.name, useCase: r.use_case_name, kind: r.kind };
    if (r.goal_op !== null && r.goal_value !== null) d.goal = { op: r.goal_op, value: r.goal_value };
    if (r.roi) d.roi = true;
    if (r.description !== null) d.description = r.description;
    return d;
  });
}
