import type { Command } from "commander";

export interface CliOutput {
  write(chunk: string): unknown;
}

export interface CliIO {
  stdout: CliOutput;
  stderr: CliOutput;
}

/** Adds one command to the program. Each command lives in its own file under `commands/`. */
export type CommandRegistration = (program: Command, io: CliIO) => void;

/** Bad usage (flags, values, missing files): one line on stderr and this exit code. */
export const USAGE_EXIT_CODE = 2;

/** What commands throw for bad usage; `runCli` turns every error into its exit code (program.ts). */
export { CliError } from "../errors.js";
