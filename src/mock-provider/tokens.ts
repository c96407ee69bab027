import { createHash } from "node:crypto";

/**
 * The mock's tokenizer: one token per 4 UTF-16 code units, rounded up. Crude, but deterministic and easy to
 * compute in a test's expectation.
 */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Per-message overhead, as OpenAI's chat format adds (role and separators). */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Added once per prompt (the assistant reply is primed). */
export const PROMPT_OVERHEAD_TOKENS = 3;

/**
 * The text the mock tokenizes for a content value: strings as they are, content parts by their text
 * (`text`, or `output` for tool results), parts joined with "\n", anything else as JSON. `cache_control`
 * never counts.
 */
export function textOf(value: unknown): string {
  if (value == null) return "";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(textOf).join("\n");
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record["text"] === "string") return record["text"];
    if (record["type"] === "tool_result" || record["type"] === "function_call_output") {
      return textOf(record["content"] ?? record["output"]);
    }
    return stableJson(withoutCacheControl(record));
  }
  return String(value);
}

export function withoutCacheControl(record: Record<string, unknown>): Record<string, unknown> {
  if (!("cache_control" in record)) return record;
  const { cache_control: _ignored, ...rest } = record;
  return rest;
}

/** JSON with sorted keys, so hashing does not depend on key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A 32-bit FNV-1a hash: seeds the deterministic reply. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a tiny seeded PRNG, so replies and embeddings are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
