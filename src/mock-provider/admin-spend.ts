import { Pricer } from "../pricing/index.js";
import { type ByKind, costNanosByKind, zeroByKind } from "../reconcile/token-kinds.js";
import { isRecord } from "./handler.js";
import { anthropicResponseModel, openaiResponseModel } from "./models.js";
import type { MockAdminOptions, MockUsage, RecordedRequest } from "./types.js";

export type AdminProvider = "openai" | "anthropic";

/** One billed thing: a served call, an unseen call, or a cost-only charge. Money is integer micro-USD. */
export interface BilledItem {
  provider: AdminProvider;
  at: number;
  /** null for a cost-only charge without a model. */
  model: string | null;
  project: string | null;
  requests: number;
  /** OpenAI reports embeddings usage on its own endpoint. */
  embeddings: boolean;
  usage: MockUsage;
  /** Per meter; all zero for a charge. */
  costNanos: ByKind;
  /** Cost-only charges: the line item / description, its cost type and amount. */
  charge?: { description: string; costType: string; nanos: number };
}

export const DEFAULT_OPENAI_PROJECT = "proj_default";

const SILENT = { warn: () => {}, error: () => {} };
const ZERO: MockUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};

function time(at: number | string | undefined, now: number): number {
  if (at === undefined) return now;
  const ms = typeof at === "number" ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw new RangeError(`mock admin: invalid time ${String(at)}`);
  return ms;
}

function usdToNanos(usd: string): number {
  if (!/^\d+(\.\d{1,9})?$/.test(usd))
    throw new RangeError(`mock admin: charge usd must be a decimal: ${usd}`);
  const [whole, fraction = ""] = usd.split(".");
  return Number(whole) * 1_000_000_000 + Number(fraction.padEnd(9, "0"));
}

/**
 * What the provider would bill, from what the mock served (successful model calls with usage) plus the
 * configured unseen calls and charges, priced with `admin.prices` over costtrail's bundled table — the same
 * arithmetic the ledger uses, so an instrumented call costs the provider exactly what it costs the ledger.
 */
export class AdminSpend {
  readonly #pricer: Pricer;
  readonly #options: MockAdminOptions;
  /** Unseen calls and charges without `at` happened when the mock started. */
  readonly #startedAt = Date.now();

  constructor(options: MockAdminOptions = {}) {
    this.#options = options;
    this.#pricer = new Pricer({ overrides: options.prices ?? [], logger: SILENT });
  }

  items(provider: AdminProvider, requests: readonly RecordedRequest[]): BilledItem[] {
    const now = this.#startedAt;
    const out: BilledItem[] = [];
    for (const r of requests) {
      if (r.provider !== provider || r.status !== 200 || !r.usage) continue;
      if (!["chat", "responses", "embeddings", "messages"].includes(r.operation)) continue;
      const body = isRecord(r.body) ? r.body : {};
      const requested = typeof body["model"] === "string" ? body["model"] : "unknown";
      const model =
        provider === "openai"
          ? r.operation === "embeddings"
            ? requested
            : openaiResponseModel(requested)
          : anthropicResponseModel(requested);
      const project = provider === "openai" ? (r.headers["openai-project"] ?? DEFAULT_OPENAI_PROJECT) : null;
      out.push(this.#call(provider, r.at, model, project, 1, r.usage, r.operation === "embeddings"));
    }
    for (const u of this.#options.unseen ?? []) {
      if (u.provider !== provider) continue;
      const usage = { ...ZERO, ...u.usage };
      const project = u.project ?? (provider === "openai" ? DEFAULT_OPENAI_PROJECT : null);
      const embeddings = provider === "openai" && u.model.startsWith("text-embedding");
      out.push(this.#call(provider, time(u.at, now), u.model, project, u.requests ?? 1, usage, embeddings));
    }
    for (const c of this.#options.extraCharges ?? []) {
      if (c.provider !== provider) continue;
      out.push({
        provider,
        at: time(c.at, now),
        model: null,
        project: c.project ?? (provider === "openai" ? DEFAULT_OPENAI_PROJECT : null),
        requests: 0,
        embeddings: false,
        usage: { ...ZERO },
        costNanos: zeroByKind(),
        charge: {
          description: c.description,
          costType: c.costType ?? "code_execution",
          nanos: usdToNanos(c.usd),
        },
      });
    }
    return out;
  }

  #call(
    provider: AdminProvider,
    at: number,
    model: string,
    project: string | null,
    requests: number,
    usage: MockUsage,
    embeddings: boolean,
  ): BilledItem {
    const costNanos =
      costNanosByKind(this.#pricer, {
        provider,
        requestModel: model,
        usage,
        ts: new Date(at),
      }) ?? zeroByKind();
    return { provider, at, model, project, requests, embeddings, usage, costNanos };
  }
}

export const DAY_MS = 86_400_000;

/** Day buckets [start, end) from `startMs` in 24 h steps up to `endMs` (the last one cut at `endMs`). */
export function dayBuckets(startMs: number, endMs: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let s = startMs; s < endMs && out.length < 10_000; s += DAY_MS) {
    out.push({ start: s, end: Math.min(s + DAY_MS, endMs) });
  }
  return out;
}

/** Pages over buckets: `page` is the index of the first bucket, as an opaque token. */
export function pageOf<T>(
  buckets: readonly T[],
  page: string | null,
  limit: number,
): { data: T[]; hasMore: boolean; nextPage: string | null } | undefined {
  let first = 0;
  if (page !== null) {
    const decoded = /^page_(\d+)$/.exec(page);
    if (!decoded) return undefined;
    first = Number(decoded[1]);
  }
  const data = buckets.slice(first, first + limit);
  const hasMore = first + limit < buckets.length;
  return { data, hasMore, nextPage: hasMore ? `page_${first + limit}` : null };
}

/** `group_by[]=a&group_by[]=b` (and `group_by=a`, which some clients send). */
export function groupByParams(params: URLSearchParams): string[] {
  return [...params.getAll("group_by[]"), ...params.getAll("group_by")];
}
