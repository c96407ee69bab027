import type { ModelPrice } from "@pydantic/genai-prices";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import type { PriceOverride } from "../types.js";
import { toPriceProviderId } from "./provider-map.js";

const usdPerMTok = z.number({ error: "must be a finite number" }).min(0, "must be ≥ 0");
const name = z.string({ error: "must be a string" }).trim().min(1, "must not be empty");

const FIELDS = [
  "model",
  "provider",
  "accountName",
  "inputPerMTok",
  "outputPerMTok",
  "cacheReadPerMTok",
  "cacheWritePerMTok",
  "cacheWrite1hPerMTok",
  "discountPct",
] as const;

const overrideSchema = z
  .strictObject(
    {
      model: name,
      provider: name.optional(),
      accountName: name.optional(),
      inputPerMTok: usdPerMTok.optional(),
      outputPerMTok: usdPerMTok.optional(),
      cacheReadPerMTok: usdPerMTok.optional(),
      cacheWritePerMTok: usdPerMTok.optional(),
      cacheWrite1hPerMTok: usdPerMTok.optional(),
      discountPct: z
        .number({ error: "must be a finite number" })
        .min(0, "must be ≥ 0")
        .max(100, "must be ≤ 100")
        .optional(),
    },
    { error: "must be an object { model, inputPerMTok, outputPerMTok, … }" },
  )
  .superRefine((o, ctx) => {
    if (o.discountPct !== undefined && o.inputPerMTok === undefined && o.outputPerMTok === undefined) return;
    for (const key of ["inputPerMTok", "outputPerMTok"] as const) {
      if (o[key] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: "is required (or give discountPct alone to discount the table's prices)",
        });
        return;
      }
    }
  });
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
      message = `is not a price override field (${FIELDS.join(", ")})`;
    }
    throw invalid([path, ...segments].join("."), message);
  }
  const seen = new Set<string>();
  return result.data.map((entry, i) => {
    // Two overrides for the same model, provider and account would make the winner depend on array order.
    const provider = entry.provider === undefined ? "" : toPriceProviderId(entry.provider);
    const key = `${entry.model.toLowerCase()}\0${provider}\0${entry.accountName ?? ""}\0${entry.inputPerMTok === undefined}`;
    if (seen.has(key))
      throw invalid(`${path}.${i}.model`, `duplicates an earlier override of "${entry.model}"`);
    seen.add(key);
    const out: PriceOverride = { model: entry.model };
    for (const field of FIELDS) {
      if (field !== "model" && entry[field] !== undefined)
        (out as unknown as Record<string, unknown>)[field] = entry[field];
    }
    return out;
  });
}

function invalid(field: string, message: string): ConfigError {
  return new ConfigError(field, `costtrail: invalid price override: ${field}: ${message}`);
}

export interface CompiledOverride {
  override: PriceOverride;
  /** Position in the config: part of cache keys. */
  index: number;
  /** genai-prices-style provider id, or undefined for any provider. */
  providerId: string | undefined;
  /** null for an exact (case-insensitive) name. */
  pattern: RegExp | null;
  /** Lower-cased model name or pattern. */
  key: string;
  /** Literal characters of a pattern: the more, the more specific. */
  specificity: number;
  /** Sets token rates (otherwise a discount of the table's prices only). */
  setsRates: boolean;
}

/** The overrides that apply to one call: the rates to use and the discount to take off them. */
export interface OverrideMatch {
  rates?: CompiledOverride;
  discount?: CompiledOverride;
}

function compile(override: PriceOverride, index: number): CompiledOverride {
  const key = override.model.trim().toLowerCase();
  const wild = key.includes("*");
  return {
    override,
    index,
    providerId: override.provider === undefined ? undefined : toPriceProviderId(override.provider),
    pattern: wild
      ? new RegExp(
          `^${key
            .split("*")
            .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
            .join(".*")}$`,
        )
      : null,
    key,
    specificity: key.replaceAll("*", "").length,
    setsRates: override.inputPerMTok !== undefined,
  };
}

export class OverrideTable {
  // Keyed by lower-cased model name, as genai-prices matches names case-insensitively too.
  readonly #exact = new Map<string, CompiledOverride[]>();
  readonly #patterns: CompiledOverride[] = [];
  readonly size: number;

  constructor(overrides: readonly PriceOverride[]) {
    this.size = overrides.length;
    overrides.forEach((override, i) => {
      const compiled = compile(override, i);
      if (compiled.pattern) this.#patterns.push(compiled);
      else {
        const list = this.#exact.get(compiled.key);
        if (list) list.push(compiled);
        else this.#exact.set(compiled.key, [compiled]);
      }
    });
  }

  /**
   * The rates override and the discount for `model`. Most specific wins: an account-restricted entry over
   * one for every account, an exact name over a pattern (longer literal part first), a provider-restricted
   * entry over one for any provider, then the earlier entry.
   */
  find(
    model: string,
    providerId: string,
    altProviderId: string,
    accountName: string | undefined,
  ): OverrideMatch {
    if (this.size === 0) return {};
    const name = model.trim().toLowerCase();
    const candidates: CompiledOverride[] = [];
    const admit = (o: CompiledOverride) => {
      if (o.providerId !== undefined && o.providerId !== providerId && o.providerId !== altProviderId) return;
      if (o.override.accountName !== undefined && o.override.accountName !== accountName) return;
      candidates.push(o);
    };
    for (const o of this.#exact.get(name) ?? []) admit(o);
    for (const o of this.#patterns) if (o.pattern!.test(name)) admit(o);
    if (candidates.length === 0) return {};
    candidates.sort(bySpecificity);
    const rates = candidates.find((o) => o.setsRates);
    const discount = candidates.find((o) => !o.setsRates);
    const out: OverrideMatch = {};
    if (rates) out.rates = rates;
    if (discount) out.discount = discount;
    return out;
  }
}

function bySpecificity(a: CompiledOverride, b: CompiledOverride): number {
  const rank = (o: CompiledOverride) => [
    o.override.accountName === undefined ? 0 : 1,
    o.pattern ? 0 : 1,
    o.specificity,
    o.providerId === undefined ? 0 : 1,
  ];
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return rb[i]! - ra[i]!;
  return a.index - b.index;
}

/**
 * The model prices an override bills at. Rates it does not set keep the table's (`base`): its cache rates are
 * the table's cache discounts applied to the override's input rate (a negotiated rate keeps its cache
 * discount); per-call fees, audio and other lines are the table's. Without a table price, unset cache rates
 * bill as input.
 */
export function overridePrices(o: PriceOverride | undefined, base: ModelPrice | null): ModelPrice {
  if (!o || o.inputPerMTok === undefined || o.outputPerMTok === undefined) return base ?? {};
  const input = o.inputPerMTok;
  const out: ModelPrice = { ...base, input_mtok: input, output_mtok: o.outputPerMTok };
  const baseInput = flat(base?.["input_mtok"]);
  const derived = (key: string, explicit: number | undefined) => {
    if (explicit !== undefined) {
      out[key] = explicit;
      return;
    }
    const b = flat(base?.[key]);
    if (b === undefined || baseInput === undefined || baseInput === 0) delete out[key];
    else out[key] = (input * b) / baseInput;
  };
  derived("cache_read_mtok", o.cacheReadPerMTok);
  derived("cache_write_mtok", o.cacheWritePerMTok);
  derived("cache_write_1h_mtok", o.cacheWrite1hPerMTok);
  // genai-prices needs a 1-hour write price's ancestor (cache writes) priced too.
  if (out["cache_write_1h_mtok"] !== undefined && out["cache_write_mtok"] === undefined)
    out["cache_write_mtok"] = input;
  return out;
}

/** `prices` with every rate (tokens and per-call fees) reduced by `pct` percent. */
export function discounted(prices: ModelPrice, pct: number): ModelPrice {
  if (!pct) return prices;
  const factor = (100 - pct) / 100;
  const out: ModelPrice = {};
  for (const [k, v] of Object.entries(prices)) {
    if (v === undefined) continue;
    out[k] =
      typeof v === "number"
        ? v * factor
        : { base: v.base * factor, tiers: v.tiers.map((t) => ({ start: t.start, price: t.price * factor })) };
  }
  return out;
}

function flat(v: ModelPrice[string]): number | undefined {
  if (typeof v === "number") return v;
  if (v && typeof v === "object") return v.base;
  return undefined;
}
