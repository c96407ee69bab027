import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { dashboardCommand } from "./commands/dashboard.js";
import { demoCommand } from "./commands/demo.js";
import { eventsCommand } from "./commands/events.js";
import { limitsCommand } from "./commands/limits.js";
import { pricesCommand } from "./commands/prices.js";
import { reportCommand } from "./commands/report.js";
import { CliError, type CliIO, type CommandRegistration, USAGE_EXIT_CODE } from "./context.js";

/** Every command of the CLI. To add one: a file under `commands/` exporting a CommandRegistration, one line here. */
export const COMMANDS: readonly CommandRegistration[] = [
  demoCommand,
  reportCommand,
  eventsCommand,
  dashboardCommand,
  limitsCommand,
  pricesCommand,
];

/** The package version, found from src/cli (tsx) or dist/src/cli (built) alike. */
function packageVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "costtrail" && pkg.version) return pkg.version;
    } catch {
      // Not at this level; try the next.
    }
  }
  return "0.0.0";
}

export function buildProgram(io: CliIO, commands: readonly CommandRegistration[] = COMMANDS): Command {
  const program = new Command("costtrail")
    .description("Know what your GenAI calls cost and why")
    .version(packageVersion(), "-v, --version")
    // Throw instead of process.exit, and let runCli print errors: exactly one line, our prefix, exit 2.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {},
    });
  // Subcommands inherit exitOverride and the output configuration from here.
  for (const register of commands) register(program, io);
  return program;
}

function oneLine(message: string): string {
  const first =
    message
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find(Boolean) ?? "unknown error";
  return first.replace(/^error:\s*/i, "");
}

/**
 * Runs the CLI in-process on `argv` (the user's arguments, without node and the script) and resolves to the
 * exit code. Errors are written to `io.stderr` as one line, `costtrail: <message>`.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  if (argv.length === 0) {
    io.stderr.write("costtrail: missing command (see costtrail --help)\n");
    return USAGE_EXIT_CODE;
  }
  try {
    await buildProgram(io).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help, help <cmd> and --version arrive here as "errors" with exit code 0.
      if (error.exitCode === 0) return 0;
      // Implicit help (e.g. options but no command) has already been printed to stderr.
      if (error.code !== "commander.help") io.stderr.write(`costtrail: ${oneLine(error.message)}\n`);
      return USAGE_EXIT_CODE;
    }
    if (error instanceof CliError) {
      io.stderr.write(`costtrail: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    io.stderr.write(`costtrail: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}
