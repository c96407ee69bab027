import { Option } from "commander";
import { type WhatifResult, whatif } from "../../kpis/whatif.js";
import type { CommandRegistration } from "../context.js";
import { formatCount, formatUsd, renderTable } from "../format.js";
import { withLedger } from "../open-ledger.js";
import { checkTimeRange, dbOption, timeOption, useCaseOption } from "../options.js";

interface WhatifCommandOptions {
  model: string;
  useCase: string;
  provider?: string;
  since: string;
  until?: string;
  db: string;
  format: "table" | "json";
}

function renderWhatif(r: WhatifResult): string {
  if (r.pricedProvider === null && r.calls > 0 && r.unpriced === r.calls) {
    return `no known price for model "${r.model}"; try --provider <id>\n`;
  }
  const table = renderTable(
    [
      { header: "model now", align: "left" },
      { header: "calls", align: "right" },
      { header: "cost USD", align: "right" },
      { header: `on ${r.model} USD`, align: "right" },
    ],
    r.byModel.map((m) => [
      m.requestModel,
      formatCount(m.calls),
      formatUsd(m.currentMicros),
      formatUsd(m.whatifMicros),
    ]),
    [["total", formatCount(r.calls - r.unpriced), formatUsd(r.currentMicros), formatUsd(r.whatifMicros)]],
  );
  const pct = r.savingRatio === null ? "" : ` (${(r.savingRatio * 100).toFixed(1)}%)`;
  const verdict =
    r.savingMicros >= 0
      ? `saving: $${formatUsd(r.savingMicros)}${pct}`
      : `extra cost: $${formatUsd(-r.savingMicros)}${pct.replace("-", "")}`;
  const skipped = r.unpriced > 0 ? `; ${formatCount(r.unpriced)} calls left out (no known price)` : "";
  return `${r.useCase} on ${r.model}, same tokens\n${table}${verdict}${skipped}\n`;
}

export const whatifCommand: CommandRegistration = (program, io) => {
  program
    .command("whatif")
    .description("re-price a use case's calls (same tokens) on another model, to see the saving")
    .addOption(new Option("--model <model>", "the model to price the calls on").makeOptionMandatory())
    .addOption(useCaseOption("--use-case <name>", "the use case").makeOptionMandatory())
    .option(
      "--provider <id>",
      "price the model under this provider (default: the call's own, then common ones)",
    )
    .addOption(timeOption("--since <when>", "from this time: 30m, 24h, 7d or an ISO date").default("7d"))
    .addOption(timeOption("--until <when>", "up to this time, same forms (exclusive)"))
    .addOption(dbOption())
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action((opts: WhatifCommandOptions) => {
      checkTimeRange(opts);
      const result = withLedger(opts.db, (db) =>
        whatif(db, {
          useCase: opts.useCase,
          model: opts.model,
          since: opts.since,
          until: opts.until,
          ...(opts.provider ? { provider: opts.provider } : {}),
        }),
      );
      io.stdout.write(opts.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderWhatif(result));
    });
};
