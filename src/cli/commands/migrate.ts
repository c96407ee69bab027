import { maskSecrets } from "../../ledger/location.js";
import { migrateLedger } from "../../ledger/reader.js";
import type { CommandRegistration } from "../context.js";
import { dbOption } from "../options.js";

/**
 * `costtrail migrate`: creates or updates the ledger's schema now, for teams that run migrations as a deploy
 * step (apps also migrate on their own at start; docs/fleet.md). Prints what it did.
 */
export const migrateCommand: CommandRegistration = (program, io) => {
  program
    .command("migrate")
    .description("create or update the ledger's schema (a SQLite file or a Postgres database)")
    .addOption(dbOption())
    .action((opts: { db: string }) => {
      const { from, to, applied } = migrateLedger(opts.db);
      const ledger = maskSecrets(opts.db);
      io.stdout.write(
        applied.length === 0
          ? `ledger ${ledger} is at schema version ${to}; nothing to do\n`
          : `ledger ${ledger}: schema version ${from} -> ${to} (applied ${applied.join(", ")})\n`,
      );
    });
};
