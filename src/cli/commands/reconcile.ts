import { existsSync } from "node:fs";
import { isPostgresUrl } from "../../ledger/location.js";
import { openLedgerWriter } from "../../ledger/reader.js";
import { adminKeys, parseReconcileFlags, type RawReconcileFlags } from "../../reconcile/options.js";
import { reconcile } from "../../reconcile/run.js";
import { CliError, type CommandRegistration } from "../context.js";
import { dbOption } from "../options.js";
import { renderReconcileCsv, renderReconcileTable } from "../reconcile-output.js";

/** Exit code when a row is outside tolerance (a nightly job's alert); 1 and 2 keep their usual meaning. */
export const OUTSIDE_TOLERANCE_EXIT_CODE = 3;

export const reconcileCommand: CommandRegistration = (program, io) => {
  program
    .command("reconcile")
    .description(
      "compare the ledger with the providers' own cost and usage reports (admin keys from the environment)",
    )
    .option("--provider <name>", "openai or anthropic (default: each provider whose admin key is set)")
    .option("--since <when>", "from this time, rounded down to a UTC day: 7d, 2w or an ISO date", "7d")
    .option("--until <when>", "up to this time, rounded up to a UTC day (default: now)")
    .option("--group-by <keys>", "day, model, project, comma-separated", "day,model")
    .option("--tolerance <pct>", "allowed difference per row", "2%")
    .option("--format <format>", "table, json or csv", "table")
    .addOption(dbOption())
    .option("--base-url <url>", "the providers' API origin (proxies, tests); default each provider's API")
    .option(
      "--anthropic-api <api>",
      "admin (the Admin API's usage and cost reports) or analytics (the Usage and Cost Analytics API)",
      "admin",
    )
    .option(
      "--allocate",
      "distribute unexplained provider spend over use cases and accounts (stored as allocated)",
    )
    .action(async (raw: RawReconcileFlags) => {
      const flags = parseReconcileFlags(raw, Date.now());
      if (typeof flags === "string") throw new CliError(flags);
      const keys = adminKeys(flags.providers, process.env);
      if (typeof keys === "string") throw new CliError(keys);
      if (!isPostgresUrl(flags.db) && !existsSync(flags.db)) {
        throw new CliError(`no ledger at ${flags.db} (use --db <path>)`);
      }
      // Writable: the run is stored with the ledger (a SQLite file or the Postgres ledger).
      const db = openLedgerWriter(flags.db);
      let result: Awaited<ReturnType<typeof reconcile>>;
      try {
        result = await reconcile(db, {
          providers: keys.providers,
          keys: keys.keys,
          startMs: flags.startMs,
          endMs: flags.endMs,
          groups: flags.groups,
          tolerancePpm: flags.tolerancePpm,
          allocate: flags.allocate,
          anthropicApi: flags.anthropicApi,
          ...(flags.baseUrl !== undefined ? { baseUrl: flags.baseUrl } : {}),
        });
        // A provider failure (ProviderError) is not a usage error: it surfaces as a plain error, exit 1.
      } finally {
        db.close();
      }
      const { output, outside } = result;
      if (flags.format === "json") io.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      else if (flags.format === "csv") io.stdout.write(renderReconcileCsv(output));
      else io.stdout.write(renderReconcileTable(output));
      if (outside > 0) {
        throw Object.assign(new Error(`${outside} row(s) outside the ±${output.tolerancePct}% tolerance`), {
          cliExitCode: OUTSIDE_TOLERANCE_EXIT_CODE,
        });
      }
    });
};
