import { z } from "zod";
import { getAllBuckets, ProviderError, parseBucket, type RetryPolicy } from "./http.js";
import { toNanos } from "./money.js";
import { emptyLine, type FetchWindow, type ProviderLine, utcDay } from "./provider-lines.js";

export const OPENAI_API = "https://api.openai.com";

// Only the fields reconcile reads; anything else the API adds passes through.
const costsBucket = z.object({
  start_time: z.number(),
  results: z.array(
    z.object({
      amount: z.object({ value: z.union([z.number(), z.string()]), currency: z.string() }),
      line_item: z.string().nullish(),
      project_id: z.string().nullish(),
    }),
  ),
});

const usageBucket = z.object({
  start_time: z.number(),
  results: z.array(
    z.object({
      input_tokens: z.number().int().nonnegative(),
      output_tokens: z.number().int().nonnegative().optional(),
      num_model_requests: z.number().int().nonnegative(),
      model: z.string().nullish(),
      project_id: z.string().nullish(),
    }),
  ),
});

/** "gpt-4o-mini-2024-07-18, cached input" → the model; a line item without ", <meter>" is a non-token charge. */
export function modelOfLineItem(lineItem: string): { model: string; charge: boolean } {
  const m = /^(.+), (?:cached )?(?:input|output)(?: \(batch\))?$/i.exec(lineItem);
  return m ? { model: m[1]!, charge: false } : { model: lineItem, charge: true };
}

/**
 * Reads `GET /v1/organization/costs` (group_by line_item[, project_id]) and
 * `GET /v1/organization/usage/completions|embeddings` (group_by model[, project_id]) over the window, all pages.
 */
export async function fetchOpenAILines(
  baseUrl: string,
  adminKey: string,
  window: FetchWindow,
  retry?: RetryPolicy,
): Promise<ProviderLine[]> {
  const headers = { authorization: `Bearer ${adminKey}`, accept: "application/json" };
  const endpoint = (path: string, groups: string[]) => {
    const url = new URL(path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
    url.searchParams.set("start_time", String(Math.floor(window.startMs / 1000)));
    url.searchParams.set("end_time", String(Math.ceil(window.endMs / 1000)));
    url.searchParams.set("bucket_width", "1d");
    url.searchParams.set("limit", "31");
    for (const g of [...groups, ...(window.byProject ? ["project_id"] : [])])
      url.searchParams.append("group_by[]", g);
    return url;
  };
  const lines: ProviderLine[] = [];
  const costs = await getAllBuckets(
    endpoint("v1/organization/costs", ["line_item"]),
    headers,
    "OpenAI costs",
    retry,
  );
  for (const raw of costs) {
    const bucket = parseBucket(costsBucket, raw, "OpenAI costs");
    const day = utcDay(bucket.start_time * 1000);
    for (const r of bucket.results) {
      if (r.amount.currency.toLowerCase() !== "usd") {
        throw new ProviderError(`OpenAI costs: currency ${r.amount.currency} is not supported (USD only)`);
      }
      const { model, charge } = modelOfLineItem(r.line_item ?? "(no line item)");
      const line = emptyLine(day, model, window.byProject ? (r.project_id ?? null) : null, charge);
      line.costNanos = toNanos(r.amount.value);
      lines.push(line);
    }
  }
  for (const kind of ["completions", "embeddings"] as const) {
    const label = `OpenAI usage/${kind}`;
    const buckets = await getAllBuckets(
      endpoint(`v1/organization/usage/${kind}`, ["model"]),
      headers,
      label,
      retry,
    );
    for (const raw of buckets) {
      const bucket = parseBucket(usageBucket, raw, label);
      const day = utcDay(bucket.start_time * 1000);
      for (const r of bucket.results) {
        const line = emptyLine(
          day,
          r.model ?? "(no model)",
          window.byProject ? (r.project_id ?? null) : null,
        );
        line.requests = r.num_model_requests;
        line.inputTokens = r.input_tokens;
        line.outputTokens = r.output_tokens ?? 0;
        lines.push(line);
      }
    }
  }
  return lines;
}
