import { nanosToCentsText } from "../reconcile/money.js";
import { type BilledItem, dayBuckets, groupByParams, pageOf } from "./admin-spend.js";
import type { MockError } from "./errors.js";

/**
 * Anthropic's Usage and Cost Admin API, the parts costtrail reconcile reads:
 * - `GET /v1/organizations/usage_report/messages` — buckets {starting_at, ending_at, results:[{
 *   uncached_input_tokens, cache_creation:{ephemeral_1h_input_tokens, ephemeral_5m_input_tokens},
 *   cache_read_input_tokens, output_tokens, server_tool_use:{web_search_requests}, api_key_id, workspace_id,
 *   model, service_tier, context_window}]}; group_by[] model | workspace_id | api_key_id | service_tier |
 *   context_window. There is no request count.
 * - `GET /v1/organizations/cost_report` — buckets of {currency:"USD", amount (decimal string, cents),
 *   workspace_id, description, cost_type, context_window, model, service_tier, token_type}; group_by[]
 *   workspace_id | description (model, cost_type and token_type are filled only when grouped by
 *   description, as the real API does). 1d buckets only.
 * Common: starting_at (RFC 3339, required), ending_at (exclusive, default now), limit (buckets per page,
 * default 7), page (the previous answer's next_page). Cache writes are reported as 5-minute writes.
 */
export type AnthropicAdminAnswer = { body: unknown } | { error: MockError };

const USAGE_GROUPS = ["api_key_id", "workspace_id", "model", "service_tier", "context_window"];
const COST_GROUPS = ["workspace_id", "description"];
const METERS = [
  ["input", "uncached_input_tokens", "Input Tokens"],
  ["cache_read", "cache_read_input_tokens", "Cache Read"],
  ["cache_write", "cache_creation.ephemeral_5m_input_tokens", "5m Cache Write"],
  ["output", "output_tokens", "Output Tokens"],
] as const;

function bad(message: string): AnthropicAdminAnswer {
  return { error: { status: 400, message } };
}

function time(text: string | null, name: string): number | string | undefined {
  if (text === null) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isFinite(ms) ? ms : `${name}: expected an RFC 3339 date-time`;
}

export function answerAnthropicAdmin(
  path: string,
  params: URLSearchParams,
  items: readonly BilledItem[],
  now: number,
  forcedPageSize: number | undefined,
): AnthropicAdminAnswer {
  const start = time(params.get("starting_at"), "starting_at");
  if (start === undefined) return bad("starting_at: Field required");
  if (typeof start === "string") return bad(start);
  const endParsed = time(params.get("ending_at"), "ending_at");
  if (typeof endParsed === "string") return bad(endParsed);
  if ((params.get("bucket_width") ?? "1d") !== "1d") return bad("bucket_width: the mock serves 1d only");
  const limitText = params.get("limit");
  if (limitText !== null && !(/^\d+$/.test(limitText) && Number(limitText) >= 1 && Number(limitText) <= 31)) {
    return bad("limit: 1 to 31");
  }
  const limit = forcedPageSize ?? (limitText === null ? 7 : Number(limitText));
  const cost = path === "/v1/organizations/cost_report";
  const groups = groupByParams(params);
  const unknown = groups.find((g) => !(cost ? COST_GROUPS : USAGE_GROUPS).includes(g));
  if (unknown) return bad(`group_by: unsupported value "${unknown}"`);

  const buckets = dayBuckets(start, endParsed ?? now).map((b) => {
    const inside = items.filter((i) => i.at >= b.start && i.at < b.end);
    return {
      starting_at: new Date(b.start).toISOString().replace(".000Z", "Z"),
      ending_at: new Date(b.end).toISOString().replace(".000Z", "Z"),
      results: cost ? costResults(inside, groups) : usageResults(inside, groups),
    };
  });
  const page = pageOf(buckets, params.get("page"), limit);
  if (!page) return bad("page: not a cursor this endpoint returned");
  return { body: { data: page.data, has_more: page.hasMore, next_page: page.nextPage } };
}

interface CostKey {
  workspace_id: string | null;
  description: string | null;
  cost_type: string | null;
  model: string | null;
  token_type: string | null;
  service_tier: string | null;
  context_window: string | null;
}

function costResults(items: readonly BilledItem[], groups: readonly string[]): unknown[] {
  const byDescription = groups.includes("description");
  const byWorkspace = groups.includes("workspace_id");
  const sums = new Map<string, CostKey & { nanos: number }>();
  const add = (key: CostKey, nanos: number) => {
    const k: CostKey = byDescription
      ? key
      : {
          workspace_id: key.workspace_id,
          description: null,
          cost_type: null,
          model: null,
          token_type: null,
          service_tier: null,
          context_window: null,
        };
    if (!byWorkspace) k.workspace_id = null;
    const id = JSON.stringify(k);
    const entry = sums.get(id) ?? { ...k, nanos: 0 };
    entry.nanos += nanos;
    sums.set(id, entry);
  };
  for (const item of items) {
    if (item.charge) {
      add(
        {
          workspace_id: item.project,
          description: item.charge.description,
          cost_type: item.charge.costType,
          model: null,
          token_type: null,
          service_tier: null,
          context_window: null,
        },
        item.charge.nanos,
      );
      continue;
    }
    for (const [meter, tokenType, label] of METERS) {
      if (item.costNanos[meter] === 0) continue;
      add(
        {
          workspace_id: item.project,
          description: `${item.model} Usage - ${label}`,
          cost_type: "tokens",
          model: item.model,
          token_type: tokenType,
          service_tier: "standard",
          context_window: "0-200k",
        },
        item.costNanos[meter],
      );
    }
  }
  return [...sums.values()].map(({ nanos, ...key }) => ({
    currency: "USD",
    amount: nanosToCentsText(nanos),
    ...key,
  }));
}

function usageResults(items: readonly BilledItem[], groups: readonly string[]): unknown[] {
  const byModel = groups.includes("model");
  const byWorkspace = groups.includes("workspace_id");
  const sums = new Map<string, { model: string | null; workspace: string | null; items: BilledItem[] }>();
  for (const item of items) {
    if (item.model === null) continue;
    const model = byModel ? item.model : null;
    const workspace = byWorkspace ? item.project : null;
    const key = JSON.stringify([model, workspace]);
    const entry = sums.get(key) ?? { model, workspace, items: [] };
    entry.items.push(item);
    sums.set(key, entry);
  }
  return [...sums.values()].map((s) => {
    const total = (f: (i: BilledItem) => number) => s.items.reduce((n, i) => n + f(i), 0);
    const cacheRead = total((i) => i.usage.cacheReadTokens);
    const cacheWrite = total((i) => i.usage.cacheWriteTokens);
    return {
      uncached_input_tokens: total((i) => i.usage.inputTokens) - cacheRead - cacheWrite,
      cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: cacheWrite },
      cache_read_input_tokens: cacheRead,
      output_tokens: total((i) => i.usage.outputTokens),
      server_tool_use: { web_search_requests: 0 },
      api_key_id: null,
      workspace_id: s.workspace,
      model: s.model,
      service_tier: groups.includes("service_tier") ? "standard" : null,
      context_window: groups.includes("context_window") ? "0-200k" : null,
    };
  });
}
