import { ConfigError } from "../errors.js";
import type { KpiDefinition } from "../types.js";
import { firstIssue, kpiDefinitionsSchema } from "./schema.js";

/** Validates `instrument({ kpis })`; a bad definition throws `ConfigError` naming `kpis.<i>.<key>`. */
export function parseKpiDefinitions(input: unknown): KpiDefinition[] {
  const result = kpiDefinitionsSchema.safeParse(input ?? []);
  if (result.success) return result.data as KpiDefinition[];
  const { field, message } = firstIssue(result.error, "kpis");
  throw new ConfigError(field, `costtrail: invalid instrument() config: ${field}: ${message}`);
}
