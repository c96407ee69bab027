import { nanosToCentsText } from "../reconcile/money.js";
import { type BilledItem, DAY_MS, dayBuckets, groupByParams, pageOf } from "./admin-spend.js";
import type { MockError } from "./errors.js";

/**
 * Anthropic's Usage and Cost Analytics API (`/v1/organizations/analytics/…`), the parts costtrail reconcile
 * reads, after Anthropic's API reference (Get Token Usage Over Time, Get Cost Over Time):
 * - `GET /v1/organizations/analytics/usage_report` — buckets {starting_at, ending_at, results:[{
 *   uncached_input_tokens, cache_creation:{ephemeral_1h_input_tokens, ephemeral_5m_input_tokens},
 *   cache_read_input_tokens, output_tokens, requests, server_tool_use:{web_search_requests}, model, product,
 *   context_window, inference_geo, speed, rbac_group_id, slack_channel_id}]}. Unlike the Admin API's usage
 *   report, rows carry a request count.
 * - `GET /v1/organizations/analytics/cost_report` — buckets of {currency:"USD", amount and list_amount (decimal
 *   strings in fractional cents, post- and pre-discount), model, cost_type, token_type, requests, …}.
 *   `cost_type` is filled only with group_by[]=cost_type, `token_type` only with group_by[]=token_type;
 *   `requests` is null when grouped by either (no per-component count). Code execution has no model.
 * Common: starting_at (RFC 3339, required), ending_at (exclusive; default the earlier of now and starting_at +
 * 31 days; the range may span at most 31 days), bucket_width (the mock serves 1d), limit (buckets per page:
 * default 7, at most 31), page (the previous answer's next_page); answers carry data_refreshed_at, has_more,
 * next_page and organization_id. No workspace dimension. Dimensions the mock cannot tell (product, region,
 * speed, RBAC group, Slack channel) come back null.
 */
export type AnthropicAnalyticsAnswer = { body: unknown } | { error: MockError };

export const MOCK_ORGANIZATION_ID = "org_mock";
const MAX_RANGE_MS = 31 * DAY_MS;
const DIMENSIONS = [
  "context_window",
  "inference_geo",
  "model",
  "product",
  "rbac_group_id",
  "slack_channel_id",
  "speed",
];
const COST_DIMENSIONS = [
  ...DIMENSIONS,
  "cost_type",
  "token_type",
  "claude_tag_category",
  "claude_tag_user_id",
];
const TOKEN_TYPES = [
  ["input", "uncached_input_tokens"],
  ["cache_read", "cache_read_input_tokens"],
  ["cache_write", "cache_creation.ephemeral_5m_input_tokens"],
  ["output", "output_tokens"],
] as const;
const UNKNOWN_DIMENSIONS = {
  context_window: null,
  inference_geo: null,
  product: null,
  rbac_group_id: null,
  slack_channel_id: null,
  speed: null,
};

function bad(message: string): AnthropicAnalyticsAnswer {
  return { error: { status: 400, message } };
}

function time(text: string | null, name: string): number | string | undefined {
  if (text === null) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isFinite(ms) ? ms : `${name}: expected an RFC 3339 date-time with a time zone`;
}

export function answerAnthropicAnalytics(
  path: string,
  params: URLSearchParams,
  items: readonly BilledItem[],
  now: number,
  forcedPageSize: number | undefined,
): AnthropicAnalyticsAnswer {
  const start = time(params.get("starting_at"), "starting_at");
  if (start === undefined) return bad("starting_at: Field required");
  if (typeof start === "string") return bad(start);
  const endParsed = time(params.get("ending_at"), "ending_at");
  if (typeof endParsed === "string") return bad(endParsed);
  const end = endParsed ?? Math.min(now, start + MAX_RANGE_MS);
  if (end <= start) return bad("ending_at: must be after starting_at");
  if (end - start > MAX_RANGE_MS) return bad("ending_at: the range may span at most 31 days");
  if ((params.get("bucket_width") ?? "1d") !== "1d") return bad("bucket_width: the mock serves 1d only");
  const limitText = params.get("limit");
  if (limitText !== null && !(/^\d+$/.test(limitText) && Number(limitText) >= 1 && Number(limitText) <= 31)) {
    return bad("limit: 1 to 31 for bucket_width 1d");
  }
  const limit = forcedPageSize ?? (limitText === null ? 7 : Number(limitText));
  const cost = path === "/v1/organizations/analytics/cost_report";
  const groups = groupByParams(params);
  const unknown = groups.find((g) => !(cost ? COST_DIMENSIONS : DIMENSIONS).includes(g));
  if (unknown) return bad(`group_by: unsupported value "${unknown}"`);

  const buckets = dayBuckets(start, end).map((b) => {
    const inside = items.filter((i) => i.at >= b.start && i.at < b.end);
    return {
      starting_at: new Date(b.start).toISOString(),
      ending_at: new Date(b.end).toISOString(),
      results: inside.length === 0 ? [] : cost ? costResults(inside, groups) : usageResults(inside, groups),
    };
  });
  const page = pageOf(buckets, params.get("page"), limit);
  if (!page) return bad("page: not a cursor this endpoint returned");
  return {
    body: {
      data: page.data,
      data_refreshed_at: new Date(now).toISOString(),
      has_more: page.hasMore,
      next_page: page.nextPage,
      organization_id: MOCK_ORGANIZATION_ID,
    },
  };
}

function usageResults(items: readonly BilledItem[], groups: readonly string[]): unknown[] {
  const byModel = groups.includes("model");
  const sums = new Map<string | null, BilledItem[]>();
  for (const item of items) {
    if (item.model === null) continue; // a cost-only charge: no tokens
    const model = byModel ? item.model : null;
    sums.set(model, [...(sums.get(model) ?? []), item]);
  }
  return [...sums.entries()].map(([model, group]) => {
    const total = (f: (i: BilledItem) => number) => group.reduce((n, i) => n + f(i), 0);
    const cacheRead = total((i) => i.usage.cacheReadTokens);
    const cacheWrite = total((i) => i.usage.cacheWriteTokens);
    return {
      cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: cacheWrite },
      cache_read_input_tokens: cacheRead,
      ...UNKNOWN_DIMENSIONS,
      model,
      output_tokens: total((i) => i.usage.outputTokens),
      requests: total((i) => i.requests),
      server_tool_use: { web_search_requests: 0 },
      uncached_input_tokens: total((i) => i.usage.inputTokens) - cacheRead - cacheWrite,
    };
  });
}

interface CostKey {
  model: string | null;
  cost_type: string | null;
  token_type: string | null;
}

function costResults(items: readonly BilledItem[], groups: readonly string[]): unknown[] {
  const byModel = groups.includes("model");
  const byCostType = groups.includes("cost_type");
  const byTokenType = groups.includes("token_type");
  const sums = new Map<string, CostKey & { nanos: number; requests: number }>();
  const add = (key: CostKey, nanos: number, requests: number) => {
    const k: CostKey = {
      model: byModel ? key.model : null,
      cost_type: byCostType ? key.cost_type : null,
      token_type: byTokenType ? key.token_type : null,
    };
    const id = JSON.stringify(k);
    const entry = sums.get(id) ?? { ...k, nanos: 0, requests: 0 };
    entry.nanos += nanos;
    entry.requests += requests;
    sums.set(id, entry);
  };
  for (const item of items) {
    if (item.charge) {
      add({ model: null, cost_type: item.charge.costType, token_type: null }, item.charge.nanos, 0);
      continue;
    }
    // The request is counted once, on the first meter it was billed for.
    let requests = item.requests;
    for (const [meter, tokenType] of TOKEN_TYPES) {
      if (item.costNanos[meter] === 0) continue;
      add({ model: item.model, cost_type: "tokens", token_type: tokenType }, item.costNanos[meter], requests);
      requests = 0;
    }
  }
  const perComponent = byCostType || byTokenType;
  return [...sums.values()].map(({ nanos, requests, ...key }) => ({
    amount: nanosToCentsText(nanos),
    claude_tag_category: null,
    claude_tag_user_id: null,
    context_window: null,
    cost_type: key.cost_type,
    currency: "USD",
    inference_geo: null,
    list_amount: nanosToCentsText(nanos),
    model: key.model,
    product: null,
    rbac_group_id: null,
    requests: perComponent ? null : requests,
    slack_channel_id: null,
    speed: null,
    token_type: key.token_type,
  }));
}
