import { ConfigError } from "../errors.js";
import type { KpiDefinition } from "../types.js";
import { readKpiDefinitionsFile } from "./definitions-file.js";
import { firstIssue, kpiDefinitionsSchema } from "./schema.js";

/**
 * Validates `instrument({ kpis })`: the definitions, or the path of a JSON file holding them. A bad definition
 * throws `ConfigError` naming `kpis.<i>.<key>` (and the file, when they come from one).
 */
export function parseKpiDefinitions(input: unknown): KpiDefinition[] {
  const { definitions, file } =
    typeof input === "string" ? readKpiDefinitionsFile(input) : { definitions: input, file: undefined };
  const result = kpiDefinitionsSchema.safeParse(definitions ?? []);
  if (result.success) return result.data as KpiDefinition[];
  const { field, message } = firstIssue(result.error, "kpis");
  const where = file === undefined ? "" : ` (in ${file})`;
  throw new ConfigError(field, `costtrail: invalid instrument() config: ${field}: ${message}${where}`);
}
