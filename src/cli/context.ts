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

/** An error the CLI reports as `costtrail: <message>` with `exitCode` (usage errors by default). */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: number;
  constructor(message: string, exitCode: number = USAGE_EXIT_CODE) {
    super(message);
    this.exitCode = exitCode;
  }
}
