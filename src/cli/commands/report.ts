import { Option } from "commander";
import { REPORT_KEYS, type ReportBy, type ReportResult, report } from "../../ledger/queries.js";
import type { CommandRegistration } from "../context.js";
import { formatUsd, toCsv } from "../format.js";
import { withLedger } from "../open-ledger.js";
import { dbOption, positiveIntOption, timeOption } from "../options.js";
import { renderReportTable } from "../report-table.js";

type ReportFormat = "table" | "json" | "csv";

interface ReportCommandOptions {
  by: ReportBy;
  db: string;
  since?: string;
  until?: string;
  useCase?: string;
  limit?: number;
  format: ReportFormat;
}

function renderReportCsv(result: ReportResult): string {
  const instance = result.by === "instance";
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
    "unpriced",
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
    r.unpriced,
  ]);
  return toCsv([header, ...records]);
}

export const reportCommand: CommandRegistration = (program, io) => {
  program
    .command("report")
    .description(
      "cost per user, use case, instance, account, limit, step, version, model, provider, tag or day",
    )
    .addOption(new Option("--by <key>", "what to group by").choices(REPORT_KEYS).makeOptionMandatory())
    .addOption(dbOption())
    .addOption(timeOption("--since <when>", "from this time: 30m, 24h, 7d, 2w or an ISO date (inclusive)"))
    .addOption(timeOption("--until <when>", "up to this time, same forms (exclusive)"))
    .option("--use-case <name>", "only events of this use case")
    .addOption(positiveIntOption("--limit <n>", "at most n rows (totals still cover everything)"))
    .addOption(
      new Option("--format <format>", "output format").choices(["table", "json", "csv"]).default("table"),
    )
    .action((opts: ReportCommandOptions) => {
      const result = withLedger(opts.db, (db) =>
        report(db, {
          by: opts.by,
          since: opts.since,
          until: opts.until,
          useCase: opts.useCase,
          limit: opts.limit,
        }),
      );
      if (opts.format === "json") io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else if (opts.format === "csv") io.stdout.write(renderReportCsv(result));
      else io.stdout.write(renderReportTable(result));
    });
};
