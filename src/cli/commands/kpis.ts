import { Option } from "commander";
import type { KpiGroupBy } from "../../kpis/ledger-queries.js";
import { KPI_GROUP_KEYS, type KpiReportResult, kpiReport } from "../../kpis/report.js";
import type { CommandRegistration } from "../context.js";
import { toCsv } from "../format.js";
import { renderKpiTable } from "../kpi-table.js";
import { withLedger } from "../open-ledger.js";
import { checkTimeRange, dbOption, timeOption, useCaseOption } from "../options.js";

interface KpisCommandOptions {
  db: string;
  by?: KpiGroupBy;
  since?: string;
  until?: string;
  useCase?: string;
  format: "table" | "json" | "csv";
}

const CSV_FIELDS = [
  "useCase",
  "group",
  "kpi",
  "kind",
  "defined",
  "instances",
  "instancesWithKpi",
  "records",
  "totalValue",
  "avgValue",
  "rate",
  "costNanos",
  "costUsd",
  "costPerUnitNanos",
  "costPerUnitUsd",
  "roi",
  "goalMet",
] as const;

function renderKpiCsv(result: KpiReportResult): string {
  const header = CSV_FIELDS.map((f) => (f === "group" ? (result.by ?? "group") : f));
  const records = result.rows.map((r) =>
    CSV_FIELDS.map((f) => {
      const v = r[f];
      return typeof v === "boolean" ? String(v) : v;
    }),
  );
  return toCsv([header, ...records]);
}

export const kpisCommand: CommandRegistration = (program, io) => {
  program
    .command("kpis")
    .description(
      "KPIs per use case: instances, totals, rates, cost per unit and ROI (optionally per version)",
    )
    .addOption(new Option("--by <key>", "compare per version, account or user").choices(KPI_GROUP_KEYS))
    .addOption(dbOption())
    .addOption(
      timeOption("--since <when>", "instances with calls from this time: 30m, 24h, 7d or an ISO date"),
    )
    .addOption(timeOption("--until <when>", "up to this time, same forms (exclusive)"))
    .addOption(useCaseOption("--use-case <name>", "only this use case"))
    .addOption(
      new Option("--format <format>", "output format").choices(["table", "json", "csv"]).default("table"),
    )
    .action((opts: KpisCommandOptions) => {
      checkTimeRange(opts);
      const result = withLedger(opts.db, (db) =>
        kpiReport(db, { by: opts.by, since: opts.since, until: opts.until, useCase: opts.useCase }),
      );
      if (opts.format === "json") io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else if (opts.format === "csv") io.stdout.write(renderKpiCsv(result));
      else io.stdout.write(renderKpiTable(result));
    });
};
