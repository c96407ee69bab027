import { InvalidArgumentError, Option } from "commander";
import { maskSecrets } from "../../ledger/location.js";
import { openLedgerReader } from "../../ledger/reader.js";
import {
  DEFAULT_DASHBOARD_HOST,
  DEFAULT_DASHBOARD_PORT,
  type RunningDashboard,
  startDashboard,
} from "../../server/dashboard-server.js";
import { isLoopback } from "../../server/host-check.js";
import { CliError, type CommandRegistration } from "../context.js";
import { dbOption } from "../options.js";

interface DashboardCommandOptions {
  db: string;
  port: number;
  host: string;
  token?: string;
}

function portOption(): Option {
  return new Option("--port <port>", "port to listen on (0: any free port)")
    .default(DEFAULT_DASHBOARD_PORT)
    .argParser((value: string) => {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n > 65_535) throw new InvalidArgumentError("expected a port, 0 to 65535");
      return n;
    });
}

function tokenOption(): Option {
  return new Option("--token <token>", "require this token on every request (also COSTTRAIL_DASHBOARD_TOKEN)")
    .env("COSTTRAIL_DASHBOARD_TOKEN")
    .argParser((value: string) => {
      if (!/^[\x21-\x7e]{8,256}$/.test(value)) {
        throw new InvalidArgumentError("expected 8 to 256 printable characters without spaces");
      }
      return value;
    });
}

/** Resolves on the first SIGINT or SIGTERM (Ctrl-C, `kill`), removing both listeners. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export const dashboardCommand: CommandRegistration = (program, io) => {
  program
    .command("dashboard")
    .description("a local web page of cost drivers over the ledger (read-only)")
    .addOption(dbOption())
    .addOption(portOption())
    .addOption(new Option("--host <host>", "interface to bind").default(DEFAULT_DASHBOARD_HOST))
    .addOption(tokenOption())
    .action(async (opts: DashboardCommandOptions) => {
      const db = openLedgerReader(opts.db);
      let dashboard: RunningDashboard;
      try {
        dashboard = await startDashboard({ db, port: opts.port, host: opts.host, token: opts.token });
      } catch (error) {
        db.close();
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE") throw new CliError(`port ${opts.port} is in use (use --port)`);
        if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EACCES") {
          throw new CliError(`cannot listen on ${opts.host}:${opts.port}: ${code}`);
        }
        throw error;
      }
      const open = opts.token ? `${dashboard.url}?token=${encodeURIComponent(opts.token)}` : dashboard.url;
      io.stdout.write(`costtrail dashboard: ${open}  (ledger ${maskSecrets(opts.db)}; Ctrl-C to stop)\n`);
      if (!isLoopback(opts.host) && !opts.token) {
        io.stderr.write(
          `costtrail: warning: listening on ${opts.host} without --token: anyone who can reach this port can read the ledger\n`,
        );
      }
      await untilSignal();
      await dashboard.close();
      db.close();
    });
};
