import type { CostDimension } from "../types.js";

/**
 * The genai-prices units (its `prices/units.yml`) that costtrail reports usage for, with their dimensions,
 * so a price can be split into the same leaves genai-prices bills: a unit's leaf is its usage minus the
 * leaves of its priced, more specific descendants (cache reads are carved out of input, 1-hour writes out of
 * cache writes, …). A model priced with a key not listed here is priced by `calcPrice` itself (see plan.ts).
 */
export interface UnitDef {
  usageKey: string;
  priceKey: string;
  /** Usage units per price unit: 1e6 for `_mtok`, 1e3 for `_kcount`. */
  per: number;
  dims: Readonly<Record<string, string>>;
  /** The breakdown line its leaf is billed under. */
  dimension: CostDimension;
}

const tokens = (direction: "input" | "output", extra: Record<string, string> = {}) => ({
  direction,
  family: "tokens",
  ...extra,
});

export const UNITS: readonly UnitDef[] = [
  { usageKey: "input_tokens", priceKey: "input_mtok", per: 1e6, dims: tokens("input"), dimension: "input" },
  {
    usageKey: "cache_read_tokens",
    priceKey: "cache_read_mtok",
    per: 1e6,
    dims: tokens("input", { token_type: "cache_read" }),
    dimension: "cacheRead",
  },
  {
    usageKey: "cache_write_tokens",
    priceKey: "cache_write_mtok",
    per: 1e6,
    dims: tokens("input", { token_type: "cache_write" }),
    dimension: "cacheWrite5m",
  },
  {
    usageKey: "cache_write_5m_tokens",
    priceKey: "cache_write_5m_mtok",
    per: 1e6,
    dims: tokens("input", { token_type: "cache_write", cache_ttl: "5m" }),
    dimension: "cacheWrite5m",
  },
  {
    usageKey: "cache_write_1h_tokens",
    priceKey: "cache_write_1h_mtok",
    per: 1e6,
    dims: tokens("input", { token_type: "cache_write", cache_ttl: "1h" }),
    dimension: "cacheWrite1h",
  },
  {
    usageKey: "input_audio_tokens",
    priceKey: "input_audio_mtok",
    per: 1e6,
    dims: tokens("input", { modality: "audio" }),
    dimension: "audioInput",
  },
  {
    usageKey: "cache_audio_read_tokens",
    priceKey: "cache_audio_read_mtok",
    per: 1e6,
    dims: tokens("input", { modality: "audio", token_type: "cache_read" }),
    dimension: "audioCacheRead",
  },
  {
    usageKey: "input_image_tokens",
    priceKey: "input_image_mtok",
    per: 1e6,
    dims: tokens("input", { modality: "image" }),
    dimension: "imageInput",
  },
  {
    usageKey: "cache_image_read_tokens",
    priceKey: "cache_image_read_mtok",
    per: 1e6,
    dims: tokens("input", { modality: "image", token_type: "cache_read" }),
    dimension: "imageCacheRead",
  },
  {
    usageKey: "output_tokens",
    priceKey: "output_mtok",
    per: 1e6,
    dims: tokens("output"),
    dimension: "output",
  },
  {
    usageKey: "output_reasoning_tokens",
    priceKey: "output_reasoning_mtok",
    per: 1e6,
    dims: tokens("output", { token_type: "reasoning" }),
    dimension: "reasoning",
  },
  {
    usageKey: "output_audio_tokens",
    priceKey: "output_audio_mtok",
    per: 1e6,
    dims: tokens("output", { modality: "audio" }),
    dimension: "audioOutput",
  },
  {
    usageKey: "output_image_tokens",
    priceKey: "output_image_mtok",
    per: 1e6,
    dims: tokens("output", { modality: "image" }),
    dimension: "imageOutput",
  },
  {
    usageKey: "web_searches",
    priceKey: "web_searches_kcount",
    per: 1e3,
    dims: { family: "tool_calls", tool_type: "web_search" },
    dimension: "webSearch",
  },
  {
    usageKey: "storage_searches",
    priceKey: "storage_searches_kcount",
    per: 1e3,
    dims: { family: "tool_calls", tool_type: "storage_search" },
    dimension: "fileSearch",
  },
  {
    usageKey: "code_executions",
    priceKey: "code_executions_kcount",
    per: 1e3,
    dims: { family: "tool_calls", tool_type: "code_execution" },
    dimension: "codeExecution",
  },
  {
    usageKey: "requests",
    priceKey: "requests_kcount",
    per: 1e3,
    dims: { family: "requests" },
    dimension: "requests",
  },
];

export const UNIT_BY_PRICE_KEY: ReadonlyMap<string, UnitDef> = new Map(UNITS.map((u) => [u.priceKey, u]));

/** `b` is `a` or more specific than it (every dimension of `a` holds in `b`). */
export function covers(a: UnitDef, b: UnitDef): boolean {
  return Object.entries(a.dims).every(([k, v]) => b.dims[k] === v);
}
