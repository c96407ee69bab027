import { calcPrice, type ModelPrice, type Provider } from "@pydantic/genai-prices";
import type { CostBreakdown, CostDimension } from "../types.js";
import { covers, UNIT_BY_PRICE_KEY, type UnitDef } from "./units.js";
import { type PricedUsage, pricedUsage, toGenaiUsage } from "./usage.js";

/**
 * An exact-integer replay of genai-prices' arithmetic for one set of model prices. genai-prices computes in
 * float USD (`price × tokens / 1e6`); a price in USD per MTok with up to 6 decimals is a whole number of
 * pico-USD per token, so the same sum done in integers is exact. Leaves are split as genai-prices splits
 * them (units.ts), tiers are chosen as it chooses them (by total input tokens), and every plan is checked
 * against `calcPrice` when compiled: a plan that disagrees is never used.
 */
export interface ExactPlan {
  readonly terms: readonly Term[];
}

interface Term {
  readonly unit: UnitDef;
  /** `unit.usageKey` as a small integer for `usageAt` (the per-call read; see `usageSlot`). */
  readonly slot: number;
  /** pico-USD per usage unit, or tiered. */
  readonly rate: number | TieredRate;
  /** Indices (into terms) of priced units more specific than this one, whose leaves are carved out of it. */
  readonly carve: readonly number[];
}

interface TieredRate {
  readonly base: number;
  /** Ascending by start. */
  readonly tiers: readonly { start: number; rate: number }[];
}

const PICOS_PER_USD = 1e12;
const PICOS_PER_NANO_N = 1000n;

/** An exact plan for `prices`, or null when a key or value cannot be replayed exactly. */
export function compileExact(prices: ModelPrice): ExactPlan | null {
  const priced: { unit: UnitDef; rate: number | TieredRate }[] = [];
  for (const [key, value] of Object.entries(prices)) {
    if (value === undefined) continue;
    const unit = UNIT_BY_PRICE_KEY.get(key);
    if (!unit) return null;
    const rate = toRate(value, unit.per);
    if (rate === null) return null;
    priced.push({ unit, rate });
  }
  // genai-prices' order: most specific first, then by usage key; a leaf needs its descendants' leaves.
  priced.sort(
    (a, b) =>
      Object.keys(b.unit.dims).length - Object.keys(a.unit.dims).length ||
      a.unit.usageKey.localeCompare(b.unit.usageKey),
  );
  const terms: Term[] = priced.map((p, i) => ({
    unit: p.unit,
    slot: usageSlot(p.unit.usageKey),
    rate: p.rate,
    carve: priced
      .map((q, j) => (j !== i && p.unit.usageKey !== "requests" && covers(p.unit, q.unit) ? j : -1))
      .filter((j) => j >= 0),
  }));
  return { terms };
}

/** Cost per dimension in pico-USD, or null when the usage cannot be split (a part exceeds its total). */
export function exactPicos(plan: ExactPlan, u: PricedUsage): Map<CostDimension, number | bigint> | null {
  const { terms } = plan;
  const leaves = new Array<number>(terms.length);
  for (let i = 0; i < terms.length; i++) {
    const term = terms[i]!;
    let leaf = usageAt(term.slot, u);
    for (const j of term.carve) leaf -= leaves[j]!;
    if (leaf < 0) return null;
    leaves[i] = leaf;
  }
  const out = new Map<CostDimension, number | bigint>();
  for (let i = 0; i < terms.length; i++) {
    const leaf = leaves[i]!;
    if (leaf === 0) continue;
    const term = terms[i]!;
    const rate = typeof term.rate === "number" ? term.rate : tierRate(term.rate, u.input);
    if (rate === 0) continue;
    let picos: number | bigint = leaf * rate;
    if (!Number.isSafeInteger(picos)) picos = BigInt(leaf) * BigInt(rate);
    const dim = term.unit.dimension;
    const prev = out.get(dim);
    out.set(dim, prev === undefined ? picos : add(prev, picos));
  }
  return out;
}

// Scratch space of `exactNanos` (synchronous, never re-entered): a plan's leaves, and its priced lines by
// dimension in the order `exactPicos` would have inserted them into its Map.
const LEAVES: number[] = [];
const LINE_DIMS: CostDimension[] = [];
const LINE_PICOS: number[] = [];
const LINE_REMS: number[] = [];
const LINE_NANOS: number[] = [];
const LINE_ORDER: number[] = [];

/**
 * `toNanos(exactPicos(plan, u))` without the Map and the intermediate objects, for the per-call case where every
 * product and sum is a safe integer of pico-USD: exactly the same total and breakdown (same lines, same key
 * order, same largest-remainder ties). null when `exactPicos` would be null (a part exceeds its total);
 * undefined when a figure is not a safe integer (then the general path, in BigInt, prices it).
 */
export function exactNanos(
  plan: ExactPlan,
  u: PricedUsage,
): { costNanos: number; breakdown: CostBreakdown } | null | undefined {
  const { terms } = plan;
  const n = terms.length;
  for (let i = 0; i < n; i++) {
    const term = terms[i]!;
    let leaf = usageAt(term.slot, u);
    const { carve } = term;
    for (let k = 0; k < carve.length; k++) leaf -= LEAVES[carve[k]!]!;
    if (leaf < 0) return null;
    LEAVES[i] = leaf;
  }
  let lines = 0;
  for (let i = 0; i < n; i++) {
    const leaf = LEAVES[i]!;
    if (leaf === 0) continue;
    const term = terms[i]!;
    const rate = typeof term.rate === "number" ? term.rate : tierRate(term.rate, u.input);
    if (rate === 0) continue;
    const picos = leaf * rate;
    if (!Number.isSafeInteger(picos)) return undefined;
    const dim = term.unit.dimension;
    let j = 0;
    while (j < lines && LINE_DIMS[j] !== dim) j++;
    if (j < lines) {
      const sum = LINE_PICOS[j]! + picos;
      if (!Number.isSafeInteger(sum)) return undefined;
      LINE_PICOS[j] = sum;
    } else {
      LINE_DIMS[lines] = dim;
      LINE_PICOS[lines] = picos;
      lines++;
    }
  }
  // From here exactly toNanosSafe over the lines in insertion order.
  let total = 0;
  let floors = 0;
  for (let j = 0; j < lines; j++) {
    const p = LINE_PICOS[j]!;
    const rem = p % 1000;
    total += p;
    floors += (p - rem) / 1000;
    LINE_REMS[j] = rem;
    LINE_NANOS[j] = (p - rem) / 1000;
  }
  if (!Number.isSafeInteger(total + 999)) return undefined;
  const costNanos = (total + 999 - ((total + 999) % 1000)) / 1000;
  let residual = costNanos - floors;
  if (residual > 0) {
    // Largest remainder first, ties in the order given (insertion sort: a plan has a handful of lines).
    for (let j = 0; j < lines; j++) {
      let k = j;
      while (k > 0 && LINE_REMS[LINE_ORDER[k - 1]!]! < LINE_REMS[j]!) {
        LINE_ORDER[k] = LINE_ORDER[k - 1]!;
        k--;
      }
      LINE_ORDER[k] = j;
    }
    for (let k = 0; k < lines && residual > 0; k++) {
      LINE_NANOS[LINE_ORDER[k]!]! += 1;
      residual--;
    }
  }
  const breakdown: CostBreakdown = {};
  for (let j = 0; j < lines; j++) {
    const nanos = LINE_NANOS[j]!;
    if (nanos > 0) breakdown[LINE_DIMS[j]!] = nanos;
  }
  return { costNanos, breakdown };
}

/**
 * Whole nano-USD: the total is the exact pico-USD sum rounded up ONCE (so a non-zero cost never vanishes, and
 * it equals genai-prices' total rounded up, with no per-line drift); the lines are apportioned by largest
 * remainder (ties: the order given), so they sum to the total exactly. A line worth less than its share of
 * the rounding may show 0 and is then left out. See docs/pricing.md "Exact money".
 */
export function toNanos(picos: Map<CostDimension, number | bigint>): {
  costNanos: number;
  breakdown: CostBreakdown;
} {
  return toNanosSafe(picos) ?? toNanosBig(picos);
}

/**
 * `toNanos` in plain integers, the per-call case: every line and the total a safe integer of pico-USD (below
 * 2^53, ≈ $9,000 a call), so each step is exact; undefined otherwise (then BigInt does it).
 */
function toNanosSafe(
  picos: Map<CostDimension, number | bigint>,
): { costNanos: number; breakdown: CostBreakdown } | undefined {
  let total = 0;
  let floors = 0;
  for (const p of picos.values()) {
    if (typeof p !== "number") return undefined;
    total += p;
    floors += (p - (p % 1000)) / 1000;
  }
  if (!Number.isSafeInteger(total + 999)) return undefined;
  const costNanos = (total + 999 - ((total + 999) % 1000)) / 1000;
  let residual = costNanos - floors;
  const breakdown: CostBreakdown = {};
  if (residual === 0) {
    for (const [dim, p] of picos) {
      const nanos = (p as number) - ((p as number) % 1000);
      if (nanos > 0) breakdown[dim] = nanos / 1000;
    }
    return { costNanos, breakdown };
  }
  const lines: { dim: CostDimension; nanos: number; rem: number }[] = [];
  for (const [dim, p] of picos) {
    const rem = (p as number) % 1000;
    lines.push({ dim, nanos: ((p as number) - rem) / 1000, rem });
  }
  // Largest remainder first, ties in the order given (as toNanosBig).
  const order = lines.map((_, i) => i).sort((a, b) => lines[b]!.rem - lines[a]!.rem || a - b);
  for (const i of order) {
    if (residual === 0) break;
    lines[i]!.nanos += 1;
    residual--;
  }
  for (const line of lines) if (line.nanos > 0) breakdown[line.dim] = line.nanos;
  return { costNanos, breakdown };
}

function toNanosBig(picos: Map<CostDimension, number | bigint>): {
  costNanos: number;
  breakdown: CostBreakdown;
} {
  const lines: { dim: CostDimension; nanos: bigint; rem: bigint }[] = [];
  let total = 0n;
  let floors = 0n;
  for (const [dim, p] of picos) {
    const b = BigInt(p);
    const nanos = b / PICOS_PER_NANO_N;
    total += b;
    floors += nanos;
    lines.push({ dim, nanos, rem: b % PICOS_PER_NANO_N });
  }
  const costNanos = (total + PICOS_PER_NANO_N - 1n) / PICOS_PER_NANO_N;
  let residual = costNanos - floors;
  if (residual > 0n) {
    const order = lines.map((_, i) => i).sort((a, b) => Number(lines[b]!.rem - lines[a]!.rem) || a - b);
    for (const i of order) {
      if (residual === 0n) break;
      lines[i]!.nanos += 1n;
      residual--;
    }
  }
  const breakdown: CostBreakdown = {};
  for (const line of lines) if (line.nanos > 0n) breakdown[line.dim] = Number(line.nanos);
  return { costNanos: Number(costNanos), breakdown };
}

/** The same plan's total as genai-prices would compute it, in USD, for the compile-time check. */
export function exactUsd(plan: ExactPlan, u: PricedUsage): number | null {
  const picos = exactPicos(plan, u);
  if (!picos) return null;
  let total = 0n;
  for (const p of picos.values()) total += BigInt(p);
  return Number(total) / PICOS_PER_USD;
}

function add(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === "number" && typeof b === "number") {
    const s = a + b;
    if (Number.isSafeInteger(s)) return s;
  }
  return BigInt(a) + BigInt(b);
}

/** The usage keys a plan reads, by slot (`Term.slot`, `usageAt`); any other key reads 0. */
const SLOT_KEYS = [
  "input_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "cache_write_5m_tokens",
  "cache_write_1h_tokens",
  "input_audio_tokens",
  "input_image_tokens",
  "output_tokens",
  "output_reasoning_tokens",
  "output_audio_tokens",
  "web_searches",
  "storage_searches",
  "code_executions",
  "requests",
];

function usageSlot(key: string): number {
  return SLOT_KEYS.indexOf(key);
}

/** The usage of key `SLOT_KEYS[slot]`, switched on an integer (read per term, per call). */
function usageAt(slot: number, u: PricedUsage): number {
  switch (slot) {
    case 0:
      return u.input;
    case 1:
      return u.cacheRead;
    case 2:
      return u.cacheWrite;
    case 3:
      return u.cacheWrite5m;
    case 4:
      return u.cacheWrite1h;
    case 5:
      return u.audioInput;
    case 6:
      return u.imageInput;
    case 7:
      return u.output;
    case 8:
      return u.reasoning;
    case 9:
      return u.audioOutput;
    case 10:
      return u.webSearch;
    case 11:
      return u.fileSearch;
    case 12:
      return u.codeExecution;
    case 13:
      return 1;
    default:
      // cache_audio_read, cache_image_read, output_image: not reported by the providers we instrument.
      return 0;
  }
}

/** The tier is chosen by the call's total input tokens (cache included) and applies to all of its units. */
function tierRate(rate: TieredRate, inputTokens: number): number {
  let r = rate.base;
  for (const tier of rate.tiers) if (inputTokens > tier.start) r = tier.rate;
  return r;
}

function toRate(value: unknown, per: number): number | TieredRate | null {
  if (isPrice(value)) return picosPerUnit(value, per);
  if (typeof value !== "object" || value === null) return null;
  const { base, tiers } = value as { base?: unknown; tiers?: unknown };
  if (!isPrice(base) || !Array.isArray(tiers)) return null;
  const baseRate = picosPerUnit(base, per);
  if (baseRate === null) return null;
  const out: { start: number; rate: number }[] = [];
  for (const tier of tiers as { start?: unknown; price?: unknown }[]) {
    if (typeof tier !== "object" || tier === null) return null;
    if (!Number.isSafeInteger(tier.start) || (tier.start as number) < 0 || !isPrice(tier.price)) return null;
    const rate = picosPerUnit(tier.price, per);
    if (rate === null) return null;
    out.push({ start: tier.start as number, rate });
  }
  return { base: baseRate, tiers: out.sort((a, b) => a.start - b.start) };
}

/** A price per `per` units as whole pico-USD per unit; null if it is not (more than 12 − log10(per) decimals). */
function picosPerUnit(price: number, per: number): number | null {
  const exact = (price * PICOS_PER_USD) / per;
  const rounded = Math.round(exact);
  // Float noise in a decimal price (0.075 → 75000.00000000001) is not a fraction of a pico-USD.
  if (!Number.isSafeInteger(rounded) || Math.abs(exact - rounded) > 1e-6 * Math.max(1, rounded)) return null;
  return rounded;
}

function isPrice(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

/** Usages that exercise every unit, on both sides of every tier seen in the data (≤ 1.5M tokens). */
const PROBES: PricedUsage[] = [
  pricedUsage({
    input: 1_434_567,
    output: 96_543,
    cacheRead: 234_567,
    cacheWrite: 12_345,
    cacheWrite1h: 2_345,
    reasoning: 7_000,
    audioInput: 10_001,
    audioOutput: 9_999,
    imageInput: 3_333,
    webSearch: 7,
    fileSearch: 3,
    codeExecution: 2,
  }),
  pricedUsage({ input: 99_999, output: 4_321, cacheRead: 7_777, cacheWrite: 333, cacheWrite1h: 111 }),
  pricedUsage({ input: 17, output: 3, cacheRead: 5, cacheWrite: 7, audioInput: 2, webSearch: 1 }),
  pricedUsage({}),
];

/**
 * Does `plan` agree with `calcPrice` on `prices`? Compared in USD to within float rounding (calcPrice sums
 * floats; the plan is exact), on probes covering every unit and tier.
 */
export function agreesWithCalcPrice(plan: ExactPlan, prices: ModelPrice, provider: Provider): boolean {
  const probe: Provider = {
    id: provider.id,
    name: provider.name,
    api_pattern: provider.api_pattern,
    models: [{ id: "probe", match: { equals: "probe" }, prices }],
  };
  try {
    for (const u of PROBES) {
      const expected = calcPrice(toGenaiUsage(u), "probe", { provider: probe })?.total_price;
      const actual = exactUsd(plan, u);
      if (expected === undefined || actual === null) return false;
      if (Math.abs(expected - actual) > 1e-12 + 1e-12 * Math.abs(expected)) return false;
    }
    return true;
  } catch {
    return false;
  }
}
