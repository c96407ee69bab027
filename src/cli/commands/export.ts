import { writeFileSync } from "node:fs";
import { Option } from "commander";
import { FOCUS_COLUMNS, focusCsvRecord, focusExport } from "../../export/focus.js";
import { parseTimeBound } from "../../ledger/durations.js";
import { CliError, type CommandRegistration } from "../context.js";
import { toCsv } from "../format.js";
import { withLedger } from "../open-ledger.js";
import { dbOption, timeOption } from "../options.js";

interface ExportOptions {
  format: "focus";
  as?: "csv" | "json";
  out?: string;
  since?: string;
  until?: string;
  db: string;
}

export const exportCommand: CommandRegistration = (program, io) => {
  program
    .command("export")
    .description("write the ledger (and allocated spend) as FinOps FOCUS rows, CSV or JSON")
    .addOption(new Option("--format <format>", "what to export").choices(["focus"]).makeOptionMandatory())
    .addOption(
      new Option("--as <encoding>", "csv or json (default: from --out's extension, else csv)").choices([
        "csv",
        "json",
      ]),
    )
    .option("--out <file>", "write to this file instead of stdout")
    .addOption(timeOption("--since <when>", "from this time: 7d, 2w or an ISO date (inclusive)"))
    .addOption(timeOption("--until <when>", "up to this time (exclusive)"))
    .addOption(dbOption())
    .action((opts: ExportOptions) => {
      const now = Date.now();
      const startMs = opts.since === undefined ? 0 : parseTimeBound(opts.since, now);
      const endMs = opts.until === undefined ? Number.MAX_SAFE_INTEGER : parseTimeBound(opts.until, now);
      if (endMs <= startMs) throw new CliError("--until: must be after --since");
      const encoding = opts.as ?? (opts.out?.toLowerCase().endsWith(".json") ? "json" : "csv");
      const result = withLedger(opts.db, (db) => focusExport(db, startMs, endMs));
      const text =
        encoding === "json"
          ? `${JSON.stringify(result.rows, null, 2)}\n`
          : toCsv([[...FOCUS_COLUMNS], ...result.rows.map(focusCsvRecord)]);
      if (opts.out === undefined) {
        io.stdout.write(text);
        return;
      }
      try {
        writeFileSync(opts.out, text);
      } catch (error) {
        throw new Error(`--out: cannot write ${opts.out}: ${(error as Error).message}`);
      }
      io.stderr.write(`costtrail: wrote ${result.rows.length} FOCUS rows to ${opts.out}\n`);
    });
};
