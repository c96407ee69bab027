import { randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";
import { allocateGap } from "./allocate.js";
import { fetchAnthropicAnalyticsLines } from "./anthropic-analytics-source.js";
import { ANTHROPIC_API, fetchAnthropicLines } from "./anthropic-source.js";
import { compare, type GroupKey, type ReconcileRow, type ReconcileTotals, totalsOf } from "./compare.js";
import type { RetryPolicy } from "./http.js";
import { attributedSpend, ledgerLines, storeRun } from "./ledger-side.js";
import { nanosToUsd } from "./money.js";
import { fetchOpenAILines, OPENAI_API } from "./openai-source.js";
import type { AnthropicApi } from "./options.js";
import type { ProviderLine, ReconcileProvider } from "./provider-lines.js";

export interface ReconcileOptions {
  providers: readonly ReconcileProvider[];
  /** The admin key of each provider in `providers`. Used for the requests only. */
  keys: Partial<Record<ReconcileProvider, string>>;
  /** Window [startMs, endMs): startMs is a UTC midnight (the providers' buckets are days). */
  startMs: number;
  endMs: number;
  groups: ReadonlySet<GroupKey>;
  tolerancePpm: number;
  allocate: boolean;
  /** One origin for both providers (a proxy or the mock); default each provider's API. */
  baseUrl?: string;
  /** Anthropic's Admin API reports (default) or its Usage and Cost Analytics API. */
  anthropicApi?: AnthropicApi;
  retry?: RetryPolicy;
  now?: number;
}

export interface AllocatedShare {
  provider: ReconcileProvider;
  day: string;
  useCase: string | null;
  account: string | null;
  allocatedUsd: number;
}

/** The JSON output (docs/reconcile.md): the contract, plus the window and, with --allocate, the shares. */
export interface ReconcileOutput {
  since: string;
  until: string;
  tolerancePct: number;
  rows: ReconcileRow[];
  totals: ReconcileTotals;
  allocations?: AllocatedShare[];
}

export interface ReconcileResult {
  output: ReconcileOutput;
  /** Rows (or, grouped by project, provider totals) outside tolerance. */
  outside: number;
}

async function providerLines(provider: ReconcileProvider, opts: ReconcileOptions): Promise<ProviderLine[]> {
  const key = opts.keys[provider];
  if (key === undefined) throw new Error(`no admin key for ${provider}`);
  const window = { startMs: opts.startMs, endMs: opts.endMs, byProject: opts.groups.has("project") };
  if (provider === "openai") return fetchOpenAILines(opts.baseUrl ?? OPENAI_API, key, window, opts.retry);
  return opts.anthropicApi === "analytics"
    ? fetchAnthropicAnalyticsLines(opts.baseUrl ?? ANTHROPIC_API, key, window, opts.retry)
    : fetchAnthropicLines(opts.baseUrl ?? ANTHROPIC_API, key, window, opts.retry);
}

function sumByDay<T extends { day: string; costNanos: number }>(lines: readonly T[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) out.set(l.day, (out.get(l.day) ?? 0) + l.costNanos);
  return out;
}

/**
 * Fetches every provider's report, compares it with the ledger over the same window and stores the run
 * (one `reconciliations` row per provider). Throws ProviderError for provider failures.
 */
export async function reconcile(db: Database, opts: ReconcileOptions): Promise<ReconcileResult> {
  const fetched = new Map<ReconcileProvider, ProviderLine[]>();
  // Fetch everything before writing anything: a failing provider stores no half run.
  for (const provider of opts.providers) fetched.set(provider, await providerLines(provider, opts));

  const rows: ReconcileRow[] = [];
  const allocations: AllocatedShare[] = [];
  let providerTotal = 0;
  let ledgerTotal = 0;
  let outside = 0;
  const runMs = opts.now ?? Date.now();
  for (const provider of opts.providers) {
    const pLines = fetched.get(provider)!;
    const lLines = ledgerLines(db, provider, opts.startMs, opts.endMs);
    const result = compare(provider, pLines, lLines, opts.groups, opts.tolerancePpm);
    const pDays = sumByDay(pLines);
    const lDays = sumByDay(lLines);
    const pNanos = [...pDays.values()].reduce((a, b) => a + b, 0);
    const lNanos = [...lDays.values()].reduce((a, b) => a + b, 0);
    let providerOutside = result.rows.filter((r) => !r.withinTolerance).length;
    // By project the rows carry no ledger side: judge the provider's total instead.
    if (opts.groups.has("project")) {
      const total = compare(provider, pLines, lLines, new Set<GroupKey>(), opts.tolerancePpm);
      providerOutside = total.rows.filter((r) => !r.withinTolerance).length;
    }
    outside += providerOutside;
    rows.push(...result.rows);
    providerTotal += pNanos;
    ledgerTotal += lNanos;

    const days = [...new Set([...pDays.keys(), ...lDays.keys()])].sort().map((day) => ({
      day,
      providerNanos: pDays.get(day) ?? 0,
      ledgerNanos: lDays.get(day) ?? 0,
    }));
    const shares = opts.allocate
      ? allocateGap(
          new Map(days.map((d) => [d.day, d.providerNanos - d.ledgerNanos])),
          attributedSpend(db, provider, opts.startMs, opts.endMs),
        )
      : [];
    for (const s of shares) {
      allocations.push({
        provider,
        day: s.day,
        useCase: s.useCaseName,
        account: s.accountName,
        allocatedUsd: nanosToUsd(s.allocatedNanos),
      });
    }
    const summary = { rows: result.rows, totals: totalsOf(pNanos, lNanos) };
    storeRun(db, {
      id: randomUUID(),
      runMs,
      provider,
      sinceMs: opts.startMs,
      untilMs: opts.endMs,
      groupBy: [...opts.groups].join(","),
      tolerancePpm: opts.tolerancePpm,
      providerNanos: pNanos,
      ledgerNanos: lNanos,
      rowsOutside: providerOutside,
      result: JSON.stringify(summary),
      days,
      allocations: shares,
    });
  }
  const output: ReconcileOutput = {
    since: new Date(opts.startMs).toISOString(),
    until: new Date(opts.endMs).toISOString(),
    tolerancePct: opts.tolerancePpm / 10_000,
    rows,
    totals: totalsOf(providerTotal, ledgerTotal),
    ...(opts.allocate ? { allocations } : {}),
  };
  return { output, outside };
}
