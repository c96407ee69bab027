import { Option } from "commander";
import { z } from "zod";
import { instanceCostDistribution } from "../../kpis/distribution.js";
import { forecast } from "../../kpis/forecast.js";
import { kpiReport } from "../../kpis/report.js";
import { FxRateMissingError, inCurrency, type LocalReport } from "../../ledger/fx-rates.js";
import { REPORT_KEYS, type ReportBy, type ReportResult, report } from "../../ledger/queries.js";
import { currencyCodeSchema } from "../../pricing/fx.js";
import { CliError, type CommandRegistration } from "../context.js";
import { formatUsd, toCsv } from "../format.js";
import { renderKpiTable } from "../kpi-table.js";
import { withLedger } from "../open-ledger.js";
import {
  checkTimeRange,
  dbOption,
  parseFlags,
  positiveIntOption,
  timeOption,
  useCaseOption,
} from "../options.js";
import { renderReportTable } from "../report-table.js";
import { renderDistributionTable, renderForecastTable } from "../value-tables.js";

type ReportFormat = "table" | "json" | "csv";

interface ReportCommandOptions {
  by?: ReportBy;
  forecast?: boolean;
  db: string;
  since?: string;
  until?: string;
  useCase?: string;
  limit?: number;
  currency?: string;
  format: ReportFormat;
}

const currencyFlag = z.object({ currency: currencyCodeSchema.optional() });

function renderReportCsv(result: ReportResult | LocalReport): string {
  const instance = result.by === "instance";
  const local = "currency" in result ? result.currency.currency.toLowerCase() : undefined;
  const header = [
    result.by,
    ...(instance ? ["use_case"] : []),
    "requests",
    "errors",
    "blocked",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "cost_micros",
    "cost_nanos",
    "unpriced",
    // Apart from cost_*: docs/pricing.md "Estimated costs".
    "estimated_nanos",
    ...(local ? [`cost_${local}_nanos`, `estimated_${local}_nanos`] : []),
  ];
  const records = result.rows.map((r) => [
    r.key,
    ...(instance ? [r.useCaseName ?? null] : []),
    r.requests,
    r.errors,
    r.blocked,
    r.inputTokens,
    r.outputTokens,
    formatUsd(r.costMicros),
    r.costMicros,
    // Exact: the other cost columns are it rounded up to the micro-USD (docs/pricing.md "Exact money").
    r.costNanos,
    r.unpriced,
    r.estimatedNanos,
    ...(local ? [r.costLocalNanos, r.estimatedLocalNanos] : []),
  ]);
  return toCsv([header, ...records]);
}

/** The report with its money also in `currency` (docs/pricing.md "Currency"); a missing rate is a usage error. */
function localized(
  db: Parameters<typeof inCurrency>[0],
  result: ReportResult,
  currency: string | undefined,
  now: number,
): ReportResult | LocalReport {
  if (!currency) return result;
  try {
    return inCurrency(db, result, currency, now);
  } catch (error) {
    if (error instanceof FxRateMissingError) throw new CliError(`--currency: ${error.message}`);
    throw error;
  }
}

export const reportCommand: CommandRegistration = (program, io) => {
  program
    .command("report")
    .description(
      "cost per user, use case, instance, account, limit, step, version, model, provider, tag or day",
    )
    .addOption(new Option("--by <key>", "what to group by").choices(REPORT_KEYS))
    .option(
      "--forecast",
      "spend rate per use case and limit (last 1 and 7 days), and when each limit is reached",
    )
    .addOption(dbOption())
    .addOption(timeOption("--since <when>", "from this time: 30m, 24h, 7d, 2w or an ISO date (inclusive)"))
    .addOption(timeOption("--until <when>", "up to this time, same forms (exclusive)"))
    .addOption(useCaseOption("--use-case <name>", "only events of this use case"))
    .option("--currency <code>", "also show cost in this currency, at its stored rate (costtrail fx set)")
    .addOption(positiveIntOption("--limit <n>", "at most n rows (totals still cover everything)"))
    .addOption(
      new Option("--format <format>", "output format").choices(["table", "json", "csv"]).default("table"),
    )
    .action((opts: ReportCommandOptions) => {
      if (opts.forecast) {
        if (opts.format === "csv") throw new CliError("--forecast prints a table or json, not csv");
        const result = withLedger(opts.db, (db) => forecast(db, { useCase: opts.useCase }));
        io.stdout.write(
          opts.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderForecastTable(result),
        );
        return;
      }
      const by = opts.by;
      if (by === undefined) throw new CliError("required option '--by <key>' not specified");
      checkTimeRange(opts);
      const { currency } = parseFlags(currencyFlag, { currency: opts.currency });
      const filter = { since: opts.since, until: opts.until, useCase: opts.useCase };
      const now = Date.now();
      const { result, distribution, kpis } = withLedger(opts.db, (db) => ({
        result: localized(db, report(db, { by, ...filter, limit: opts.limit, now }), currency, now),
        // The unit economics of instances: the costly tail next to the typical one.
        distribution: by === "instance" ? instanceCostDistribution(db, filter) : undefined,
        // Versions are judged on cost per outcome: each version's KPIs, as `kpis --by version` computes them.
        kpis: by === "version" ? kpiReport(db, { by: "version", ...filter }) : undefined,
      }));
      if (opts.format === "json") {
        const extra = { ...(distribution ? { distribution } : {}), ...(kpis ? { kpis: kpis.rows } : {}) };
        io.stdout.write(`${JSON.stringify({ ...result, ...extra }, null, 2)}\n`);
      } else if (opts.format === "csv") io.stdout.write(renderReportCsv(result));
      else {
        const kpiTable =
          kpis && kpis.rows.length > 0 ? `\nKPI outcomes per version\n${renderKpiTable(kpis)}` : "";
        io.stdout.write(renderReportTable(result) + renderDistributionTable(distribution ?? []) + kpiTable);
      }
    });
};
