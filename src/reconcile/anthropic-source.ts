import { z } from "zod";
import { getAllBuckets, ProviderError, parseBucket, type RetryPolicy } from "./http.js";
import { toNanos } from "./money.js";
import { emptyLine, type FetchWindow, type ProviderLine, utcDay } from "./provider-lines.js";

export const ANTHROPIC_API = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";

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

function dayOf(startingAt: string, label: string): string {
  const ms = Date.parse(startingAt);
  if (!Number.isFinite(ms))
    throw new ProviderError(`${label}: bucket starting_at "${startingAt}" is not a date`);
  return utcDay(ms);
}

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
  const headers = {
    "x-api-key": adminKey,
    "anthropic-version": ANTHROPIC_VERSION,
    accept: "application/json",
  };
  const endpoint = (path: string, groups: string[]) => {
    const url = new URL(path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
    url.searchParams.set("starting_at", new Date(window.startMs).toISOString());
    url.searchParams.set("ending_at", new Date(window.endMs).toISOString());
    url.searchParams.set("bucket_width", "1d");
    url.searchParams.set("limit", "31");
    for (const g of [...groups, ...(window.byProject ? ["workspace_id"] : [])])
      url.searchParams.append("group_by[]", g);
    return url;
  };
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
      const cacheWrite =
        (r.cache_creation?.ephemeral_1h_input_tokens ?? 0) +
        (r.cache_creation?.ephemeral_5m_input_tokens ?? 0);
      line.inputTokens = r.uncached_input_tokens + (r.cache_read_input_tokens ?? 0) + cacheWrite;
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
      if (r.currency.toUpperCase() !== "USD") {
        throw new ProviderError(`Anthropic cost report: currency ${r.currency} is not supported (USD only)`);
      }
      const charge = !r.model;
      const model = r.model ?? r.description ?? r.cost_type ?? "(no model)";
      const line = emptyLine(day, model, window.byProject ? (r.workspace_id ?? null) : null, charge);
      line.costNanos = toNanos(r.amount, 2);
      lines.push(line);
    }
  }
  return lines;
}
