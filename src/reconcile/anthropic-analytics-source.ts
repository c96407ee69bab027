import { z } from "zod";
import {
  ANTHROPIC_API,
  anthropicHeaders,
  dayOf,
  inputTokensOf,
  reportUrl,
  requireUsd,
} from "./anthropic-reports.js";
import { getAllBuckets, ProviderError, parseBucket, type RetryPolicy } from "./http.js";
import { toNanos } from "./money.js";
import { emptyLine, type FetchWindow, type ProviderLine } from "./provider-lines.js";

export { ANTHROPIC_API };

/** The Analytics API answers at most 31 days per request: longer windows are read in slices. */
const MAX_RANGE_MS = 31 * 86_400_000;

const count = z.number().int().nonnegative();

const usageBucket = z.object({
  starting_at: z.string(),
  results: z.array(
    z.object({
      uncached_input_tokens: count,
      cache_read_input_tokens: count.nullish(),
      cache_creation: z
        .object({ ephemeral_1h_input_tokens: count.nullish(), ephemeral_5m_input_tokens: count.nullish() })
        .nullish(),
      output_tokens: count,
      requests: count.nullish(),
      model: z.string().nullish(),
    }),
  ),
});

const costBucket = z.object({
  starting_at: z.string(),
  results: z.array(
    z.object({
      currency: z.string(),
      // Decimal string in fractional cents, after discounts and before credits (what the invoice bills).
      amount: z.string(),
      model: z.string().nullish(),
      cost_type: z.string().nullish(),
    }),
  ),
});

/** Names of the Analytics API's non-token cost types, as the row's "model" (they are charges, not calls). */
const CHARGE_NAMES: Record<string, string> = {
  code_execution: "Code Execution Usage",
  web_search: "Web Search Usage",
};

/** [start, end) cut into consecutive slices of at most 31 days. */
export function slices(startMs: number, endMs: number): { startMs: number; endMs: number }[] {
  const out: { startMs: number; endMs: number }[] = [];
  for (let s = startMs; s < endMs; s += MAX_RANGE_MS)
    out.push({ startMs: s, endMs: Math.min(s + MAX_RANGE_MS, endMs) });
  return out;
}

/**
 * Reads Anthropic's Usage and Cost Analytics API over the window, all pages of every ≤31-day slice:
 * `GET /v1/organizations/analytics/usage_report` (group_by model: tokens and request counts) and
 * `GET /v1/organizations/analytics/cost_report` (group_by model and cost_type: token cost per model, code
 * execution and web search as charges). The API has no workspace dimension: `byProject` is refused earlier.
 */
export async function fetchAnthropicAnalyticsLines(
  baseUrl: string,
  key: string,
  window: FetchWindow,
  retry?: RetryPolicy,
): Promise<ProviderLine[]> {
  if (window.byProject) throw new ProviderError("Anthropic Analytics API: it has no workspace dimension");
  const headers = anthropicHeaders(key);
  const endpoint = (path: string, groups: string[], slice: { startMs: number; endMs: number }) =>
    reportUrl(baseUrl, path, slice.startMs, slice.endMs, groups);
  const lines: ProviderLine[] = [];
  for (const slice of slices(window.startMs, window.endMs)) {
    const usage = await getAllBuckets(
      endpoint("v1/organizations/analytics/usage_report", ["model"], slice),
      headers,
      "Anthropic analytics usage report",
      retry,
    );
    for (const raw of usage) {
      const bucket = parseBucket(usageBucket, raw, "Anthropic analytics usage report");
      const day = dayOf(bucket.starting_at, "Anthropic analytics usage report");
      for (const r of bucket.results) {
        // Rows without a model are code execution spans: their cost is a charge in the cost report.
        if (!r.model) continue;
        const line = emptyLine(day, r.model, null);
        line.inputTokens = inputTokensOf(r);
        line.outputTokens = r.output_tokens;
        line.requests = r.requests ?? null;
        lines.push(line);
      }
    }
    const costs = await getAllBuckets(
      endpoint("v1/organizations/analytics/cost_report", ["model", "cost_type"], slice),
      headers,
      "Anthropic analytics cost report",
      retry,
    );
    for (const raw of costs) {
      const bucket = parseBucket(costBucket, raw, "Anthropic analytics cost report");
      const day = dayOf(bucket.starting_at, "Anthropic analytics cost report");
      for (const r of bucket.results) {
        requireUsd(r.currency, "Anthropic analytics cost report");
        const tokens = (r.cost_type ?? "tokens") === "tokens" && Boolean(r.model);
        const model = tokens
          ? r.model!
          : (CHARGE_NAMES[r.cost_type ?? ""] ?? r.cost_type ?? r.model ?? "(no model)");
        const line = emptyLine(day, model, null, !tokens);
        line.costNanos = toNanos(r.amount, 2);
        lines.push(line);
      }
    }
  }
  return lines;
}
