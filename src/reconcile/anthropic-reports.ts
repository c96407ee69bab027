// What Anthropic's two report APIs (the Admin API's usage/cost reports and the Usage and Cost Analytics API)
// share: the same headers, query shape, daily buckets, token fields and USD amounts (docs/reconcile.md).
import { ProviderError } from "./http.js";
import { utcDay } from "./provider-lines.js";

export const ANTHROPIC_API = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";

export function anthropicHeaders(key: string): Record<string, string> {
  return { "x-api-key": key, "anthropic-version": ANTHROPIC_VERSION, accept: "application/json" };
}

/** A report's URL over [startMs, endMs), in daily buckets, grouped by `groups`. */
export function reportUrl(
  baseUrl: string,
  path: string,
  startMs: number,
  endMs: number,
  groups: string[],
): URL {
  const url = new URL(path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  url.searchParams.set("starting_at", new Date(startMs).toISOString());
  url.searchParams.set("ending_at", new Date(endMs).toISOString());
  url.searchParams.set("bucket_width", "1d");
  url.searchParams.set("limit", "31");
  for (const g of groups) url.searchParams.append("group_by[]", g);
  return url;
}

export function dayOf(startingAt: string, label: string): string {
  const ms = Date.parse(startingAt);
  if (!Number.isFinite(ms))
    throw new ProviderError(`${label}: bucket starting_at "${startingAt}" is not a date`);
  return utcDay(ms);
}

interface TokenResult {
  uncached_input_tokens: number;
  cache_read_input_tokens?: number | null | undefined;
  cache_creation?:
    | {
        ephemeral_1h_input_tokens?: number | null | undefined;
        ephemeral_5m_input_tokens?: number | null | undefined;
      }
    | null
    | undefined;
}

/** Every input token a usage row bills: uncached, cache reads and cache writes of either lifetime. */
export function inputTokensOf(r: TokenResult): number {
  const cacheWrite =
    (r.cache_creation?.ephemeral_1h_input_tokens ?? 0) + (r.cache_creation?.ephemeral_5m_input_tokens ?? 0);
  return r.uncached_input_tokens + (r.cache_read_input_tokens ?? 0) + cacheWrite;
}

export function requireUsd(currency: string, label: string): void {
  if (currency.toUpperCase() !== "USD")
    throw new ProviderError(`${label}: currency ${currency} is not supported (USD only)`);
}
