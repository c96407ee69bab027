import { runCli } from "../../src/cli/program.js";
import type { LimitDefinition, PriceOverride } from "../../src/types.js";

export { recordingLogger, tempDir } from "../ledger/helpers.js";

/** Runs the CLI in-process and captures what it prints. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

/** A price that makes the arithmetic easy: 10 micro-USD per token, input and output alike. */
export const MODEL = "gpt-4o-mini";
export const MICROS_PER_TOKEN = 10;
export const PRICES: PriceOverride[] = [{ model: MODEL, inputPerMTok: 10, outputPerMTok: 10 }];

export function limit(overrides: Partial<LimitDefinition> & Pick<LimitDefinition, "id">): LimitDefinition {
  return { maxUsd: 1, window: "day", mode: "block", ...overrides };
}

/** The engine's answer when it could reserve at once (nothing else holds the ledger's lock in these tests). */
export function sync<T>(answer: T | Promise<T>): T {
  if (answer instanceof Promise) throw new Error("expected a synchronous reservation");
  return answer;
}
