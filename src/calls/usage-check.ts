import type { TokenUsage } from "../types.js";

/**
 * The most tokens (or billed units) one call can plausibly report: well above any context window or batch of
 * embeddings inputs, far below what would overflow exact integer money (docs/providers.md "Usage the provider
 * sends"). A count above it is not trusted.
 */
export const MAX_USAGE_COUNT = 100_000_000;

/** Why a count is not trusted, or undefined when it is a finite non-negative integer up to the ceiling. */
function problemOf(value: unknown): string | undefined {
  if (typeof value !== "number") return "not a number";
  if (!Number.isFinite(value)) return "not finite";
  if (value < 0) return "negative";
  if (!Number.isInteger(value)) return "not an integer";
  if (value > MAX_USAGE_COUNT) return `above ${MAX_USAGE_COUNT}`;
  return undefined;
}

/**
 * Checks what an adapter read off the provider's usage. Every number, and every number of a nested count map
 * (`serverToolCalls`), must be a finite non-negative integer up to MAX_USAGE_COUNT; strings and flags pass.
 * Returns undefined when all of it can be trusted, else the part that can be
 * and a description of each count left out (`outputTokens: -5 (negative)`).
 */
export function checkUsage(
  usage: Partial<TokenUsage>,
): { trusted: Partial<TokenUsage>; issues: string[] } | undefined {
  // Most usage is all trusted: nothing is allocated to say so (this runs on every call).
  let issues: string[] | undefined;
  for (const key in usage) {
    const value = usage[key as keyof TokenUsage];
    if (typeof value === "string" || typeof value === "boolean" || value === undefined) continue;
    if (value !== null && typeof value === "object") {
      for (const [inner, n] of Object.entries(value)) {
        const problem = n === undefined ? undefined : problemOf(n);
        if (problem) {
          issues ??= [];
          issues.push(`${key}.${inner}: ${String(n)} (${problem})`);
        }
      }
      continue;
    }
    const problem = problemOf(value);
    if (problem) {
      issues ??= [];
      issues.push(`${key}: ${String(value)} (${problem})`);
    }
  }
  if (issues === undefined) return undefined;
  const trusted: Record<string, unknown> = {};
  for (const key of Object.keys(usage) as (keyof TokenUsage)[]) {
    const value = usage[key];
    if (value !== null && typeof value === "object") {
      const kept = Object.fromEntries(
        Object.entries(value).filter(([, n]) => n === undefined || !problemOf(n)),
      );
      if (Object.keys(kept).length > 0) trusted[key] = kept;
    } else if (typeof value !== "number" || !problemOf(value)) trusted[key] = value;
  }
  return { trusted: trusted as Partial<TokenUsage>, issues };
}
