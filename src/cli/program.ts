import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { type CostTrailErrorCode, isCostTrailError } from "../errors.js";
import { dashboardCommand } from "./commands/dashboard.js";
import { demoCommand } from "./commands/demo.js";
import { eventsCommand } from "./commands/events.js";
import { exportCommand } from "./commands/export.js";
import { fxCommand } from "./commands/fx.js";
import { kpisCommand } from "./commands/kpis.js";
import { limitsCommand } from "./commands/limits.js";
import { migrateCommand } from "./commands/migrate.js";
import { pricesCommand } from "./commands/prices.js";
import { reconcileCommand } from "./commands/reconcile.js";
import { reportCommand } from "./commands/report.js";
import { repriceCommand } from "./commands/reprice.js";
import { whatifCommand } from "./commands/whatif.js";
import { type CliIO, type CommandRegistration, USAGE_EXIT_CODE } from "./context.js";

/** Every command of the CLI. To add one: a file under `commands/` exporting a CommandRegistration, one line here. */
export const COMMANDS: readonly CommandRegistration[] = [
  demoCommand,
  reportCommand,
  eventsCommand,
  dashboardCommand,
  limitsCommand,
  kpisCommand,
  whatifCommand,
  reconcileCommand,
  exportCommand,
  pricesCommand,
  repriceCommand,
  fxCommand,
  migrateCommand,
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
  // Our own messages may carry the "costtrail: " prefix already; print it once.
  return first.replace(/^error:\s*/i, "").replace(/^costtrail:\s*/, "");
}

/** The exit code of every costtrail error, in this one place: bad input is a usage error (2). */
const EXIT_CODES: Record<CostTrailErrorCode, number> = {
  CLI_USAGE: USAGE_EXIT_CODE,
  LEDGER_NOT_FOUND: USAGE_EXIT_CODE,
  CONFIG_INVALID: USAGE_EXIT_CODE,
  ANNOTATION_INVALID: USAGE_EXIT_CODE,
  LIMIT_EXCEEDED: 1,
};
/** What the user can do about it, after the message. */
const HINTS: Partial<Record<CostTrailErrorCode, string>> = { LEDGER_NOT_FOUND: " (use --db <path>)" };

/** An error as the CLI reports it: one line and an exit code (1 for anything that is not costtrail's). */
function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (error instanceof CommanderError) return { line: oneLine(error.message), exitCode: USAGE_EXIT_CODE };
  if (isCostTrailError(error)) {
    return { line: oneLine(error.message) + (HINTS[error.code] ?? ""), exitCode: EXIT_CODES[error.code] };
  }
  // A command's own outcome code (reconcile: 3 = outside tolerance), carried by the error it throws.
  const own = (error as { cliExitCode?: unknown } | null)?.cliExitCode;
  if (error instanceof Error && typeof own === "number")
    return { line: oneLine(error.message), exitCode: own };
  return { line: oneLine(error instanceof Error ? error.message : String(error)), exitCode: 1 };
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
    // --help, help <cmd> and --version arrive here as "errors" with exit code 0.
    if (error instanceof CommanderError && error.exitCode === 0) return 0;
    const { line, exitCode } = describeFailure(error);
    // Implicit help (e.g. options but no command) has already been printed to stderr.
    if (!(error instanceof CommanderError && error.code === "commander.help")) {
      io.stderr.write(`costtrail: ${line}\n`);
    }
    return exitCode;
  }
}
