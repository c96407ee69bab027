import { Option } from "commander";
import { isPostgresUrl } from "../../ledger/location.js";
import { CliError, type CommandRegistration } from "../context.js";
import { runFleetDemo, runFleetWorker } from "../demo/fleet-demo.js";
import { runDemo } from "../demo/run-demo.js";
import { positiveIntOption } from "../options.js";

export const demoCommand: CommandRegistration = (program, io) => {
  program
    .command("demo")
    .description("run a simulated app against a local mock provider, then print the cost report (offline)")
    .addOption(positiveIntOption("--users <n>", "simulated users").default(20))
    .addOption(positiveIntOption("--requests <n>", "total requests").default(200))
    .addOption(positiveIntOption("--concurrency <n>", "requests in flight").default(20))
    .addOption(positiveIntOption("--latency <ms>", "mock provider latency per response").default(15))
    .option("--db <path>", "the demo's ledger file", ".costtrail/demo.db")
    .option("--keep", "append to the existing demo ledger instead of starting fresh", false)
    .option("--no-history", "start without the four weeks of simulated history")
    .option(
      "--fleet <postgres-url>",
      "instead: three worker processes on one Postgres ledger with one shared block limit, then the fleet report",
    )
    // One worker of --fleet (the demo starts these itself).
    .addOption(new Option("--fleet-worker <args...>").hideHelp())
    .action(
      async (opts: {
        users: number;
        requests: number;
        concurrency: number;
        latency: number;
        db: string;
        keep: boolean;
        history: boolean;
        fleet?: string;
        fleetWorker?: string[];
      }) => {
        if (opts.fleetWorker) {
          const [url, useCase, worker] = opts.fleetWorker as [string, string, string];
          await runFleetWorker(url, useCase, worker);
          return;
        }
        if (opts.fleet !== undefined) {
          if (!isPostgresUrl(opts.fleet)) throw new CliError("--fleet: expected a postgres:// URL");
          await runFleetDemo({ url: opts.fleet, out: io.stdout });
          return;
        }
        await runDemo({
          users: opts.users,
          requests: opts.requests,
          concurrency: opts.concurrency,
          latencyMs: opts.latency,
          db: opts.db,
          keep: opts.keep,
          history: opts.history,
          out: io.stdout,
          err: io.stderr as typeof io.stderr & { isTTY?: boolean },
        });
      },
    );
};
