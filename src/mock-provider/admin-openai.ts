import { nanosToUsdText } from "../reconcile/money.js";
import { type BilledItem, dayBuckets, groupByParams, pageOf } from "./admin-spend.js";
import type { MockError } from "./errors.js";

/**
 * OpenAI's Administration API, the parts costtrail reconcile reads:
 * - `GET /v1/organization/costs` — daily buckets of `organization.costs.result` ({amount:{value,currency},
 *   line_item, project_id}); group_by[] line_item | project_id; bucket_width 1d only.
 * - `GET /v1/organization/usage/completions` and `/usage/embeddings` — buckets of
 *   `organization.usage.completions.result` (input_tokens incl. cached, output_tokens, input_cached_tokens,
 *   input_audio_tokens, output_audio_tokens, num_model_requests) or `organization.usage.embeddings.result`
 *   (input_tokens, num_model_requests); group_by[] model | project_id (others are accepted and left null).
 * Common: start_time (unix seconds, required), end_time (exclusive, default now), limit (buckets per page,
 * default 7), page (the previous answer's next_page). Line items are "<model>, input|cached input|output"
 * for tokens and the charge's description otherwise.
 */
export type OpenAIAdminAnswer = { body: unknown } | { error: MockError };

const COSTS_GROUPS = ["project_id", "line_item"];
const USAGE_GROUPS = ["project_id", "user_id", "api_key_id", "model", "batch"];
const METERS = [
  ["input", "input"],
  ["cache_read", "cached input"],
  ["output", "output"],
] as const;

function bad(message: string, param: string): OpenAIAdminAnswer {
  return { error: { status: 400, message, param } };
}

function window(params: URLSearchParams, now: number): { start: number; end: number } | OpenAIAdminAnswer {
  const start = params.get("start_time");
  if (start === null || !/^\d+$/.test(start))
    return bad("start_time is required (unix seconds)", "start_time");
  const end = params.get("end_time");
  if (end !== null && !/^\d+$/.test(end)) return bad("end_time must be unix seconds", "end_time");
  const width = params.get("bucket_width") ?? "1d";
  if (width !== "1d") return bad("the mock serves bucket_width=1d only", "bucket_width");
  return { start: Number(start) * 1000, end: end === null ? now : Number(end) * 1000 };
}

function pageSize(params: URLSearchParams, forced: number | undefined): number | OpenAIAdminAnswer {
  if (forced !== undefined) return forced;
  const limit = params.get("limit");
  if (limit === null) return 7;
  if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 180)
    return bad("limit: 1 to 180", "limit");
  return Number(limit);
}

export function answerOpenAIAdmin(
  path: string,
  params: URLSearchParams,
  items: readonly BilledItem[],
  now: number,
  forcedPageSize: number | undefined,
): OpenAIAdminAnswer {
  const w = window(params, now);
  if (!("start" in w)) return w;
  const limit = pageSize(params, forcedPageSize);
  if (typeof limit !== "number") return limit;
  const groups = groupByParams(params);
  const costs = path === "/v1/organization/costs";
  const allowed = costs ? COSTS_GROUPS : USAGE_GROUPS;
  const unknown = groups.find((g) => !allowed.includes(g));
  if (unknown) return bad(`group_by: unsupported value "${unknown}"`, "group_by");
  const embeddings = path.endsWith("/embeddings");

  const buckets = dayBuckets(w.start, w.end).map((b) => {
    const inside = items.filter((i) => i.at >= b.start && i.at < b.end);
    const results = costs ? costResults(inside, groups) : usageResults(inside, groups, embeddings);
    return { object: "bucket", start_time: b.start / 1000, end_time: b.end / 1000, results };
  });
  const page = pageOf(buckets, params.get("page"), limit);
  if (!page) return bad("page: not a cursor this endpoint returned", "page");
  return { body: { object: "page", data: page.data, has_more: page.hasMore, next_page: page.nextPage } };
}

function costResults(items: readonly BilledItem[], groups: readonly string[]): unknown[] {
  const byLine = groups.includes("line_item");
  const byProject = groups.includes("project_id");
  const sums = new Map<string, { lineItem: string | null; project: string | null; nanos: number }>();
  const add = (lineItem: string, project: string | null, nanos: number) => {
    const li = byLine ? lineItem : null;
    const pj = byProject ? project : null;
    const key = JSON.stringify([li, pj]);
    const entry = sums.get(key) ?? { lineItem: li, project: pj, nanos: 0 };
    entry.nanos += nanos;
    sums.set(key, entry);
  };
  for (const item of items) {
    if (item.charge) add(item.charge.description, item.project, item.charge.nanos);
    else {
      for (const [meter, label] of METERS) {
        if (item.costNanos[meter] !== 0) add(`${item.model}, ${label}`, item.project, item.costNanos[meter]);
      }
    }
  }
  return [...sums.values()].map((s) => ({
    object: "organization.costs.result",
    amount: { value: Number(nanosToUsdText(s.nanos)), currency: "usd" },
    line_item: s.lineItem,
    project_id: s.project,
  }));
}

function usageResults(
  items: readonly BilledItem[],
  groups: readonly string[],
  embeddings: boolean,
): unknown[] {
  const byModel = groups.includes("model");
  const byProject = groups.includes("project_id");
  const sums = new Map<string, { model: string | null; project: string | null; items: BilledItem[] }>();
  for (const item of items) {
    if (item.model === null || item.embeddings !== embeddings) continue;
    const model = byModel ? item.model : null;
    const project = byProject ? item.project : null;
    const key = JSON.stringify([model, project]);
    const entry = sums.get(key) ?? { model, project, items: [] };
    entry.items.push(item);
    sums.set(key, entry);
  }
  return [...sums.values()].map((s) => {
    const total = (f: (i: BilledItem) => number) => s.items.reduce((n, i) => n + f(i), 0);
    const common = {
      num_model_requests: total((i) => i.requests),
      project_id: s.project,
      user_id: null,
      api_key_id: null,
      model: s.model,
      batch: null,
    };
    if (embeddings) {
      return {
        object: "organization.usage.embeddings.result",
        input_tokens: total((i) => i.usage.inputTokens),
        ...common,
      };
    }
    return {
      object: "organization.usage.completions.result",
      input_tokens: total((i) => i.usage.inputTokens),
      output_tokens: total((i) => i.usage.outputTokens),
      input_cached_tokens: total((i) => i.usage.cacheReadTokens),
      input_audio_tokens: 0,
      output_audio_tokens: 0,
      ...common,
    };
  });
}
