import { Option } from "commander";
import { recentEvents } from "../../ledger/queries.js";
import type { UsageEvent } from "../../types.js";
import type { CommandRegistration } from "../context.js";
import { formatCount, formatUsd, renderTable } from "../format.js";
import { withLedger } from "../open-ledger.js";
import { dbOption, positiveIntOption } from "../options.js";

interface EventsCommandOptions {
  tail: number;
  db: string;
  format: "table" | "json";
}

function renderEventsTable(events: readonly UsageEvent[]): string {
  return renderTable(
    [
      { header: "time", align: "left" },
      { header: "provider", align: "left" },
      { header: "model", align: "left" },
      { header: "status", align: "left" },
      { header: "input", align: "right" },
      { header: "output", align: "right" },
      { header: "cost USD", align: "right" },
      { header: "use case", align: "left" },
      { header: "step", align: "left" },
      { header: "user", align: "left" },
    ],
    events.map((e) => [
      e.ts,
      e.provider,
      e.responseModel ?? e.requestModel,
      e.status,
      formatCount(e.usage.inputTokens),
      formatCount(e.usage.outputTokens),
      e.costMicros === null ? "unpriced" : formatUsd(e.costMicros),
      e.annotations.useCaseName ?? "",
      e.annotations.useCaseStep ?? "",
      e.annotations.userId ?? "",
    ]),
  );
}

export const eventsCommand: CommandRegistration = (program, io) => {
  program
    .command("events")
    .description("the most recent usage events, oldest first")
    .addOption(positiveIntOption("--tail <n>", "how many events").default(20))
    .addOption(dbOption())
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action((opts: EventsCommandOptions) => {
      const events = withLedger(opts.db, (db) => recentEvents(db, opts.tail));
      io.stdout.write(
        opts.format === "json" ? `${JSON.stringify(events, null, 2)}\n` : renderEventsTable(events),
      );
    });
};
