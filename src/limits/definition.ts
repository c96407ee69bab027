import { z } from "zod";
import { MAX_STRING } from "../annotations/schema.js";
import { ConfigError } from "../errors.js";
import type { LimitDefinition, LimitMode, LimitWindow } from "../types.js";

export const LIMIT_WINDOWS: readonly LimitWindow[] = ["day", "week", "month", "total"];
export const LIMIT_MODES: readonly LimitMode[] = ["allow", "block"];
/** The largest `maxUsd` accepted: its micro-USD value must stay an exact integer. */
export const MAX_LIMIT_USD = 1_000_000_000;

/** Limit ids are annotation values (`limitIds`), so they follow the same rules: non-empty, ≤ 512 characters. */
const text = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(MAX_STRING, `must be at most ${MAX_STRING} characters`);

const limitSchema = z.strictObject(
  {
    id: text,
    maxUsd: z
      .number({ error: "must be a number" })
      .min(0, "must be ≥ 0")
      .max(MAX_LIMIT_USD, `must be at most ${MAX_LIMIT_USD}`)
      // Limits are kept in integer micro-USD: a finer amount would be rounded silently (1e-7 to 0).
      .refine(isWholeMicros, "must be a whole number of micro-dollars (at most 6 decimal places)"),
    window: z.enum(LIMIT_WINDOWS as [LimitWindow, ...LimitWindow[]], {
      error: `must be one of ${LIMIT_WINDOWS.join(", ")}`,
    }),
    mode: z.enum(LIMIT_MODES as [LimitMode, ...LimitMode[]], {
      error: `must be one of ${LIMIT_MODES.join(", ")}`,
    }),
    alertAtPct: z
      .number({ error: "must be a number" })
      .gt(0, "must be > 0")
      .max(100, "must be at most 100")
      .optional(),
    scope: z
      .strictObject(
        { userId: text.optional(), accountName: text.optional(), useCaseName: text.optional() },
        { error: "must be an object with userId, accountName and/or useCaseName" },
      )
      .optional(),
  },
  { error: "must be a limit definition object" },
);

/**
 * A validated definition, with the amount in integer micro-USD (what the engine and the ledger compare).
 * `scope` is absent when it has no key: such a limit applies only to calls that name it in `limitIds`.
 */
export interface Limit {
  readonly id: string;
  readonly maxMicros: number;
  readonly window: LimitWindow;
  readonly mode: LimitMode;
  readonly alertAtPct?: number;
  readonly scope?: Readonly<NonNullable<LimitDefinition["scope"]>>;
}

function isWholeMicros(usd: number): boolean {
  return Number(usd.toFixed(6)) === usd;
}

export function usdToMicros(usd: number): number {
  return Math.round(usd * 1e6);
}

export function microsToUsd(micros: number): number {
  return micros / 1e6;
}

/** The public shape back from a validated limit (undefined keys left out). */
export function toDefinition(limit: Limit): LimitDefinition {
  const out: LimitDefinition = {
    id: limit.id,
    maxUsd: microsToUsd(limit.maxMicros),
    window: limit.window,
    mode: limit.mode,
  };
  if (limit.alertAtPct !== undefined) out.alertAtPct = limit.alertAtPct;
  if (limit.scope) out.scope = { ...limit.scope };
  return out;
}

/**
 * Validates one `LimitDefinition`. A bad one throws `ConfigError` whose `field` is the dotted path of the
 * offending key (`limits.0.maxUsd` with `prefix` "limits.0") and whose message names it.
 */
export function parseLimit(input: unknown, where: string, prefix?: string): Limit {
  const result = limitSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
    const field = [prefix, ...path.map(String)].filter(Boolean).join(".") || prefix || "limit";
    let message = issue.code === "unrecognized_keys" ? "is not a known key" : issue.message;
    if (issue.code === "invalid_type" && path.length > 0 && valueAt(input, path) === undefined) {
      message = "is required";
    }
    throw new ConfigError(field, `costtrail: invalid limit definition in ${where}: ${field}: ${message}`);
  }
  const d = result.data;
  const scope: Record<string, string> = {};
  for (const key of ["userId", "accountName", "useCaseName"] as const) {
    const value = d.scope?.[key];
    if (value !== undefined) scope[key] = value;
  }
  const limit: { -readonly [K in keyof Limit]: Limit[K] } = {
    id: d.id,
    maxMicros: usdToMicros(d.maxUsd),
    window: d.window,
    mode: d.mode,
  };
  if (d.alertAtPct !== undefined) limit.alertAtPct = d.alertAtPct;
  if (Object.keys(scope).length > 0) limit.scope = scope;
  return limit;
}

function valueAt(input: unknown, path: readonly unknown[]): unknown {
  let value = input;
  for (const key of path)
    value = value && typeof value === "object" ? (value as any)[key as PropertyKey] : undefined;
  return value;
}

/** Validates `instrument({ limits })`: each definition, and ids unique. Errors name `limits.<i>.<key>`. */
export function parseLimits(input: readonly unknown[], where = "instrument() config"): Limit[] {
  const seen = new Set<string>();
  return input.map((item, i) => {
    const limit = parseLimit(item, where, `limits.${i}`);
    if (seen.has(limit.id)) {
      throw new ConfigError(
        `limits.${i}.id`,
        `costtrail: invalid limit definition in ${where}: limits.${i}.id: "${limit.id}" is defined twice`,
      );
    }
    seen.add(limit.id);
    return limit;
  });
}
