import { z } from "zod";
import { ConfigError } from "../errors.js";
import type { CostBreakdown, CostDimension, PriceOverride } from "../types.js";
import { toNanos } from "./plan.js";
import { toPriceProviderId } from "./provider-map.js";
import type { PricedUsage } from "./usage.js";

const usdPerMTok = z.number({ error: "must be a finite number" }).min(0, "must be ≥ 0");
const name = z.string({ error: "must be a string" }).trim().min(1, "must not be empty");

const overrideSchema = z.strictObject(
  {
    model: name,
    provider: name.optional(),
    inputPerMTok: usdPerMTok,
    outputPerMTok: usdPerMTok,
    cacheReadPerMTok: usdPerMTok.optional(),
    cacheWritePerMTok: usdPerMTok.optional(),
  },
  { error: "must be an object { model, inputPerMTok, outputPerMTok, … }" },
);
const overridesSchema = z.array(overrideSchema, { error: "must be an array of price overrides" });

/**
 * Validates `instrument({ prices })`. Throws `ConfigError` whose `field` is the dotted path of the first bad
 * value (e.g. `prices.0.inputPerMTok`, or `prices.1.inputPerMtok` for an unknown key). Absent → [].
 */
export function parsePriceOverrides(input: unknown, path = "prices"): PriceOverride[] {
  if (input === undefined) return [];
  const result = overridesSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const segments = issue.path.map(String);
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      segments.push(issue.keys[0]!);
      message =
        "is not a price override field (model, provider, inputPerMTok, outputPerMTok, cacheReadPerMTok, cacheWritePerMTok)";
    }
    throw invalid([path, ...segments].join("."), message);
  }
  const seen = new Set<string>();
  return result.data.map((entry, i) => {
    // Two overrides for the same model and provider would make the winner depend on array order.
    const key = `${entry.model.toLowerCase()}\0${entry.provider === undefined ? "" : toPriceProviderId(entry.provider)}`;
    if (seen.has(key))
      throw invalid(`${path}.${i}.model`, `duplicates an earlier override of "${entry.model}"`);
    seen.add(key);
    const out: PriceOverride = {
      model: entry.model,
      inputPerMTok: entry.inputPerMTok,
      outputPerMTok: entry.outputPerMTok,
    };
    if (entry.provider !== undefined) out.provider = entry.provider;
    if (entry.cacheReadPerMTok !== undefined) out.cacheReadPerMTok = entry.cacheReadPerMTok;
    if (entry.cacheWritePerMTok !== undefined) out.cacheWritePerMTok = entry.cacheWritePerMTok;
    return out;
  });
}

function invalid(field: string, message: string): ConfigError {
  return new ConfigError(field, `costtrail: invalid price override: ${field}: ${message}`);
}

/**
 * USD per MTok is micro-USD per token; scaled by 1e6 it is an integer (pico-USD per token) for any price with
 * up to 6 decimals, so costs are sums of integer products and exact.
 */
export interface CompiledOverride {
  override: PriceOverride;
  /** genai-prices-style provider id, or undefined for any provider. */
  providerId: string | undefined;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

const PICO_PER_MICRO = 1_000_000;

export class OverrideTable {
  // Keyed by lower-cased model name, as genai-prices matches names case-insensitively too.
  readonly #byModel = new Map<string, CompiledOverride[]>();

  constructor(overrides: readonly PriceOverride[]) {
    for (const override of overrides) {
      const scaledInput = scale(override.inputPerMTok);
      const compiled: CompiledOverride = {
        override,
        providerId: override.provider === undefined ? undefined : toPriceProviderId(override.provider),
        input: scaledInput,
        output: scale(override.outputPerMTok),
        cacheRead: override.cacheReadPerMTok === undefined ? scaledInput : scale(override.cacheReadPerMTok),
        cacheWrite:
          override.cacheWritePerMTok === undefined ? scaledInput : scale(override.cacheWritePerMTok),
      };
      const key = override.model.trim().toLowerCase();
      const list = this.#byModel.get(key);
      if (list) list.push(compiled);
      else this.#byModel.set(key, [compiled]);
    }
  }

  /** The override for `model`: one restricted to `providerId` or `altProviderId` beats one for any provider. */
  find(model: string, providerId: string, altProviderId: string): CompiledOverride | undefined {
    const list = this.#byModel.get(model) ?? this.#byModel.get(model.trim().toLowerCase());
    if (!list) return undefined;
    let anyProvider: CompiledOverride | undefined;
    for (const o of list) {
      if (o.providerId === undefined) anyProvider ??= o;
      else if (o.providerId === providerId || o.providerId === altProviderId) return o;
    }
    return anyProvider;
  }
}

/** The override's cost: whole pico-USD per token × tokens, exactly, then each line up to whole nano-USD. */
export function overrideCost(
  o: CompiledOverride,
  usage: PricedUsage,
): { costNanos: number; breakdown: CostBreakdown } {
  const lines = new Map<CostDimension, number | bigint>();
  const line = (dim: CostDimension, tokens: number, rate: number) => {
    if (tokens <= 0 || rate <= 0) return;
    const p = tokens * rate;
    lines.set(dim, Number.isSafeInteger(p) ? p : BigInt(tokens) * BigInt(rate));
  };
  line("input", usage.input - usage.cacheRead - usage.cacheWrite, o.input);
  line("cacheRead", usage.cacheRead, o.cacheRead);
  line("cacheWrite5m", usage.cacheWrite, o.cacheWrite);
  line("output", usage.output, o.output);
  return toNanos(lines);
}

function scale(usdPerMTok: number): number {
  return Math.round(usdPerMTok * PICO_PER_MICRO);
}
