import { z } from "zod";
import {
  ANTHROPIC_API,
  anthropicHeaders,
  dayOf,
  inputTokensOf,
  reportUrl,
  requireUsd,
} from "./anthropic-reports.js";
import { getAllBuckets, parseBucket, type RetryPolicy } from "./http.js";
import { toNanos } from "./money.js";
import { emptyLine, type FetchWindow, type ProviderLine } from "./provider-lines.js";

export { ANTHROPIC_API };

const count = z.number().int().nonnegative();

const usageBucket = z.object({
  starting_at: z.string(),
  results: z.array(
    z.object({
      uncached_input_tokens: count,
      cache_read_input_tokens: count.optional(),
      cache_creation: z
        .object({ ephemeral_1h_input_tokens: count.optional(), ephemeral_5m_input_tokens: count.optional() })
        .nullish(),
      output_tokens: count,
      model: z.string().nullish(),
      workspace_id: z.string().nullish(),
    }),
  ),
});

const costBucket = z.object({
  starting_at: z.string(),
  results: z.array(
    z.object({
      currency: z.string(),
      // Decimal string in the currency's lowest unit (cents for USD).
      amount: z.string(),
      workspace_id: z.string().nullish(),
      description: z.string().nullish(),
      cost_type: z.string().nullish(),
      model: z.string().nullish(),
    }),
  ),
});

/**
 * Reads `GET /v1/organizations/usage_report/messages` (group_by model[, workspace_id]) and
 * `GET /v1/organizations/cost_report` (group_by description[, workspace_id]) over the window, all pages.
 * The usage report has no request count: `requests` stays null.
 */
export async function fetchAnthropicLines(
  baseUrl: string,
  adminKey: string,
  window: FetchWindow,
  retry?: RetryPolicy,
): Promise<ProviderLine[]> {
  const headers = anthropicHeaders(adminKey);
  const endpoint = (path: string, groups: string[]) =>
    reportUrl(baseUrl, path, window.startMs, window.endMs, [
      ...groups,
      ...(window.byProject ? ["workspace_id"] : []),
    ]);
  const lines: ProviderLine[] = [];
  const usage = await getAllBuckets(
    endpoint("v1/organizations/usage_report/messages", ["model"]),
    headers,
    "Anthropic usage report",
    retry,
  );
  for (const raw of usage) {
    const bucket = parseBucket(usageBucket, raw, "Anthropic usage report");
    const day = dayOf(bucket.starting_at, "Anthropic usage report");
    for (const r of bucket.results) {
      const line = emptyLine(
        day,
        r.model ?? "(no model)",
        window.byProject ? (r.workspace_id ?? null) : null,
      );
      line.inputTokens = inputTokensOf(r);
      line.outputTokens = r.output_tokens;
      lines.push(line);
    }
  }
  const costs = await getAllBuckets(
    endpoint("v1/organizations/cost_report", ["description"]),
    headers,
    "Anthropic cost report",
    retry,
  );
  for (const raw of costs) {
    const bucket = parseBucket(costBucket, raw, "Anthropic cost report");
    const day = dayOf(bucket.starting_at, "Anthropic cost report");
    for (const r of bucket.results) {
      requireUsd(r.currency, "Anthropic cost report");
      const charge = !r.model;
      const model = r.model ?? r.description ?? r.cost_type ?? "(no model)";
      const line = emptyLine(day, model, window.byProject ? (r.workspace_id ?? null) : null, charge);
      line.costNanos = toNanos(r.amount, 2);
      lines.push(line);
    }
  }
  return lines;
}
