import { Option } from "commander";
import { z } from "zod";
import { listFxRates, setFxRate } from "../../ledger/fx-rates.js";
import { openLedgerReader, openLedgerWriter } from "../../ledger/reader.js";
import { currencyCodeSchema, fxDateSchema, fxRateSchema } from "../../pricing/fx.js";
import type { CommandRegistration } from "../context.js";
import { renderTable } from "../format.js";
import { dbOption, parseFlags } from "../options.js";

const setSchema = z.object({
  currency: currencyCodeSchema,
  rate: fxRateSchema,
  // Default: today (UTC), the day the rate is set.
  date: fxDateSchema.optional(),
  db: z.string().min(1, "must name a ledger"),
});

const listSchema = z.object({
  db: z.string().min(1, "must name a ledger"),
  format: z.enum(["table", "json"]).default("table"),
});

export const fxCommand: CommandRegistration = (program, io) => {
  const fx = program
    .command("fx")
    .description("exchange rates for showing reports in a local currency (the ledger stays in USD)");
  fx.command("set <currency> <rate>")
    .description("store a rate, local units per USD (EUR 0.92), in force from --date until a later one")
    .option("--date <YYYY-MM-DD>", "the day the rate takes effect (default today, UTC)")
    .addOption(dbOption())
    .action((currency: string, rate: string, raw: Record<string, unknown>) => {
      const opts = parseFlags(setSchema, { ...raw, currency, rate }, ["currency", "rate"]);
      const date = opts.date ?? new Date().toISOString().slice(0, 10);
      const db = openLedgerWriter(opts.db);
      try {
        const stored = setFxRate(db, opts.currency, date, opts.rate);
        io.stdout.write(`${stored.currency} ${stored.rate} per USD from ${stored.effectiveDate}\n`);
      } finally {
        db.close();
      }
    });
  fx.command("list")
    .description("the stored rates, by currency and date")
    .addOption(dbOption())
    .addOption(new Option("--format <format>", "output format: table or json").default("table"))
    .action((raw: unknown) => {
      const opts = parseFlags(listSchema, raw);
      const db = openLedgerReader(opts.db);
      try {
        const rates = listFxRates(db);
        io.stdout.write(
          opts.format === "json"
            ? `${JSON.stringify(rates, null, 2)}\n`
            : renderTable(
                [
                  { header: "currency", align: "left" },
                  { header: "from", align: "left" },
                  { header: "per USD", align: "right" },
                ],
                rates.map((r) => [r.currency, r.effectiveDate, r.rate]),
              ),
        );
      } finally {
        db.close();
      }
    });
};
