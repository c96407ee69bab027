import { InvalidArgumentError, Option } from "commander";
import { parseTimeBound } from "../ledger/durations.js";
import { DEFAULT_LEDGER_PATH } from "../ledger/open-database.js";

/** Options shared by the commands that read the ledger. */
export function dbOption(): Option {
  return new Option("--db <path>", "ledger file").default(DEFAULT_LEDGER_PATH);
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
