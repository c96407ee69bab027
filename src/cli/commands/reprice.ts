import { Option } from "commander";
import { z } from "zod";
import { timeBoundSchema } from "../../ledger/queries.js";
import { openLedgerReader, openLedgerWriter } from "../../ledger/reader.js";
import { type RepriceResult, reprice } from "../../ledger/reprice.js";
import { Pricer } from "../../pricing/index.js";
import type { CommandRegistration } from "../context.js";
import { formatCount, formatNanosAsMicros, renderTable } from "../format.js";
import { dbOption, parseFlags } from "../options.js";

const flagsSchema = z.object({
  since: timeBoundSchema,
  until: timeBoundSchema,
  dryRun: z.boolean().default(false),
  db: z.string().min(1, "must name a ledger"),
  format: z.enum(["table", "json"]).default("table"),
});

function renderReprice(r: RepriceResult): string {
  const table = renderTable(
    [
      { header: "provider", align: "left" },
      { header: "model", align: "left" },
      { header: "events", align: "right" },
      { header: "changed", align: "right" },
      { header: "old USD", align: "right" },
      { header: "new USD", align: "right" },
      { header: "delta USD", align: "right" },
    ],
    r.models.map((m) => [
      m.provider,
      m.model,
      formatCount(m.events),
      formatCount(m.changed),
      formatNanosAsMicros(m.oldNanos),
      formatNanosAsMicros(m.newNanos),
      formatNanosAsMicros(m.deltaNanos),
    ]),
    [
      [
        "total",
        "",
        formatCount(r.events),
        formatCount(r.changed),
        ...[r.totals.oldNanos, r.totals.newNanos, r.totals.deltaNanos].map((n) => formatNanosAsMicros(n)),
      ],
    ],
  );
  const kept =
    r.keptOverrides > 0
      ? `${formatCount(r.keptOverrides)} event(s) priced by an application override kept as they are\n`
      : "";
  const outcome = r.dryRun
    ? `dry run: ${formatCount(r.changed)} of ${formatCount(r.events)} event(s) would change; nothing written\n`
    : r.runId
      ? `rewrote ${formatCount(r.changed)} of ${formatCount(r.events)} event(s); old costs kept in reprice_changes (run ${r.runId})\n`
      : `nothing to rewrite: all ${formatCount(r.events)} event(s) already have the current price\n`;
  return table + kept + outcome;
}

export const repriceCommand: CommandRegistration = (program, io) => {
  program
    .command("reprice")
    .description(
      "price history again with the current table: per model old, new and delta; without --dry-run, rewrite it (old costs kept)",
    )
    .option("--since <when>", "from this time: 30m, 24h, 7d, 2w or an ISO date (inclusive)")
    .option("--until <when>", "up to this time, same forms (exclusive)")
    .option("--dry-run", "show what would change, write nothing")
    .addOption(dbOption())
    .addOption(new Option("--format <format>", "output format: table or json").default("table"))
    .action((raw: unknown) => {
      const opts = parseFlags(flagsSchema, raw);
      const pricer = new Pricer({ logger: { warn: () => {}, error: () => {} } });
      // A dry run only reads: it never creates a ledger or takes a write lock.
      const db = opts.dryRun ? openLedgerReader(opts.db) : openLedgerWriter(opts.db);
      let result: RepriceResult;
      try {
        result = reprice(db, pricer, {
          ...(opts.since !== undefined ? { since: opts.since } : {}),
          ...(opts.until !== undefined ? { until: opts.until } : {}),
          dryRun: opts.dryRun,
        });
      } finally {
        db.close();
      }
      io.stdout.write(
        opts.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderReprice(result),
      );
    });
};
