import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../errors.js";

/**
 * The KPI definitions of a JSON file named by `instrument({ kpis: "./kpis.json" })`: an array of definitions,
 * or an object whose `kpis` key holds one (docs/kpis.md, "Definitions in a file"). A relative path is resolved
 * from the working directory. An unreadable file or bad JSON throws `ConfigError` naming `kpis`.
 */
export function readKpiDefinitionsFile(path: string): { definitions: unknown; file: string } {
  const file = resolve(path);
  const fail = (message: string) =>
    new ConfigError("kpis", `costtrail: invalid instrument() config: kpis: ${message}`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(`cannot read the KPI definitions file ${file}${code ? ` (${code})` : ""}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (json !== null && typeof json === "object" && !Array.isArray(json)) {
    const keys = Object.keys(json);
    if (keys.length !== 1 || keys[0] !== "kpis")
      throw fail(`${file} must hold an array of KPI definitions or { "kpis": [...] }`);
    json = (json as { kpis: unknown }).kpis;
  }
  return { definitions: json, file };
}
