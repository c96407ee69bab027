import type { z } from "zod";

// Calls to the providers' admin APIs: JSON GETs with bounded retries, and paging. The admin key travels only
// in the request headers handed in here; no message built in this file contains a header value.

/** A provider answer or transport failure reconcile cannot get past (exit 1). */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Upper bound for one wait, whatever `retry-after` says. */
  maxDelayMs: number;
  /** Wait before retry n (1-based) when the provider gives no `retry-after`. */
  backoffMs(retry: number): number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  maxDelayMs: 30_000,
  backoffMs: (retry) => Math.min(500 * 2 ** (retry - 1), 8_000),
};

const MAX_PAGES = 10_000;

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** The provider's own error message, if its body carries one (both providers use `error.message`). */
function providerMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    const message = body?.error?.message;
    if (typeof message === "string") return message.slice(0, 300);
  } catch {
    // Not JSON.
  }
  return "";
}

/** Where a request went, for messages: origin and path, without the query (no secrets are in it, but it is long). */
function where(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

export async function getJson(
  url: URL,
  headers: Record<string, string>,
  label: string,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { headers });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      if (attempt < retry.maxAttempts) {
        await sleep(Math.min(retry.backoffMs(attempt), retry.maxDelayMs));
        continue;
      }
      throw new ProviderError(`${label}: cannot reach ${where(url)} (${why})`);
    }
    if (response.ok) {
      const text = await response.text();
      try {
        return JSON.parse(text);
      } catch {
        throw new ProviderError(
          `${label}: ${where(url)} answered ${response.status} with a body that is not JSON`,
        );
      }
    }
    const text = await response.text().catch(() => "");
    const detail = providerMessage(text);
    const suffix = detail ? `: ${detail}` : "";
    if (response.status === 401 || response.status === 403) {
      throw new ProviderError(
        `${label}: the admin key was refused (HTTP ${response.status}${suffix}). ` +
          "Check that it is an admin key of the right organization (see docs/reconcile.md).",
        response.status,
      );
    }
    const retryable = response.status === 429 || response.status >= 500;
    if (!retryable || attempt >= retry.maxAttempts) {
      const tries = retryable ? ` after ${attempt} attempts` : "";
      throw new ProviderError(
        `${label}: HTTP ${response.status} from ${where(url)}${tries}${suffix}`,
        response.status,
      );
    }
    const wait = retryAfterMs(response.headers.get("retry-after")) ?? retry.backoffMs(attempt);
    await sleep(Math.min(wait, retry.maxDelayMs));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A page of buckets as both providers return it. */
interface Page {
  data: unknown[];
  has_more: boolean;
  next_page: string | null;
}

function asPage(body: unknown, label: string): Page {
  const b = body as Partial<Page> | null;
  if (!b || !Array.isArray(b.data) || typeof b.has_more !== "boolean") {
    throw new ProviderError(
      `${label}: unexpected answer (no data/has_more): is --base-url the provider's API?`,
    );
  }
  return {
    data: b.data,
    has_more: b.has_more,
    next_page: typeof b.next_page === "string" ? b.next_page : null,
  };
}

/**
 * Every bucket of a paged endpoint: follows `next_page` (sent back as `page`) while `has_more`. A cursor the
 * provider has expired (HTTP 410: Anthropic's Analytics API, when its data refreshed mid-way) restarts the
 * paging from the first page, once.
 */
export async function getAllBuckets(
  url: URL,
  headers: Record<string, string>,
  label: string,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<unknown[]> {
  let buckets: unknown[] = [];
  let next: string | null = null;
  let restarted = false;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const pageUrl = new URL(url);
    if (next !== null) pageUrl.searchParams.set("page", next);
    let body: unknown;
    try {
      body = await getJson(pageUrl, headers, label, retry);
    } catch (error) {
      if (!(error instanceof ProviderError && error.status === 410 && next !== null && !restarted))
        throw error;
      restarted = true;
      buckets = [];
      next = null;
      continue;
    }
    const page = asPage(body, label);
    buckets.push(...page.data);
    if (!page.has_more) return buckets;
    if (page.next_page === null || page.next_page === next) {
      throw new ProviderError(`${label}: has_more without a new next_page`);
    }
    next = page.next_page;
  }
  throw new ProviderError(`${label}: more than ${MAX_PAGES} pages`);
}

/** One bucket checked against the fields reconcile reads; a mismatch names the field (exit 1). */
export function parseBucket<T>(schema: z.ZodType<T>, bucket: unknown, label: string): T {
  const result = schema.safeParse(bucket);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const at = issue.path.join(".") || "(root)";
    throw new ProviderError(`${label}: unexpected bucket shape at ${at}: ${issue.message}`);
  }
  return result.data;
}
