import { InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import { MAX_STRING } from "../annotations/keys.js";
import { CliError } from "../errors.js";
import { parseTimeBound } from "../ledger/durations.js";
import { LEDGER_ENV } from "../ledger/location.js";
import { DEFAULT_LEDGER_PATH } from "../ledger/open-database.js";

/** The ledger a command reads: a SQLite file or a postgres:// URL; else COSTTRAIL_LEDGER; else the default file. */
export function dbOption(): Option {
  return new Option(
    "--db <file|postgres-url>",
    `ledger: a SQLite file or a postgres:// URL (env ${LEDGER_ENV})`,
  )
    .env(LEDGER_ENV)
    .default(DEFAULT_LEDGER_PATH);
}

/** A time bound validated at parse time (so a bad value is a usage error); resolved later against "now". */
export function timeOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((value: string) => {
    try {
      parseTimeBound(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
    return value;
  });
}

export function positiveIntOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
      throw new InvalidArgumentError("expected a positive integer");
    }
    return Number(value);
  });
}

/** A command's options object → `--kebab-flag` (commander camel-cases flags; errors name them as typed). */
function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Validates a command's parsed flags (and positional arguments, named in `schema` too) with zod; the first
 * problem is a usage error naming the flag: `--rate: must be a positive decimal`.
 */
export function parseFlags<T>(schema: z.ZodType<T>, input: unknown, positional: readonly string[] = []): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = String(issue.path[0] ?? "");
  const name = positional.includes(key) ? `<${key}>` : flagName(key);
  throw new CliError(`${name}: ${issue.message}`);
}

const useCaseNameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(MAX_STRING, `must be at most ${MAX_STRING} characters`);

/** A use-case name, checked at parse time as annotations check it (1 to 512 characters). */
export function useCaseOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((value: string) => {
    const parsed = useCaseNameSchema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]!.message);
    return parsed.data;
  });
}

/** An empty or backward range is a usage error naming --until, rather than a silently empty report. */
export function checkTimeRange(opts: { since?: string; until?: string }, now = Date.now()): void {
  if (opts.since === undefined || opts.until === undefined) return;
  if (parseTimeBound(opts.until, now) <= parseTimeBound(opts.since, now)) {
    throw new CliError("--until: must be after --since");
  }
}
