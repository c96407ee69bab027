import type { LedgerLine } from "./ledger-side.js";
import { nanosToUsd } from "./money.js";
import type { ProviderLine, ReconcileProvider } from "./provider-lines.js";

export const GROUP_KEYS = ["day", "model", "project"] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

/** One row of the output contract (docs/reconcile.md), plus `provider`, `project`, `withinTolerance`, `cause`. */
export interface ReconcileRow {
  provider: ReconcileProvider;
  /** "YYYY-MM-DD", or "*" when not grouped by day. */
  day: string;
  /** The provider's model name, or "*" when not grouped by model. */
  model: string;
  /** Only with --group-by project: the OpenAI project / Anthropic workspace (null: default workspace). */
  project?: string | null;
  providerUsd: number;
  /** null with --group-by project: the ledger does not know projects. */
  ledgerUsd: number | null;
  diffUsd: number | null;
  /** null for Anthropic (its usage report has no request counts). */
  providerRequests: number | null;
  ledgerRequests: number | null;
  providerInputTokens: number;
  ledgerInputTokens: number | null;
  providerOutputTokens: number;
  ledgerOutputTokens: number | null;
  /** ledger ÷ provider in percent, 2 decimals; null when the provider reports nothing (or by project). */
  coveragePct: number | null;
  withinTolerance: boolean;
  /** The likely cause when outside tolerance, else null. */
  cause: string | null;
}

export interface ReconcileTotals {
  providerUsd: number;
  ledgerUsd: number;
  diffUsd: number;
  coveragePct: number | null;
}

/** Exact sums behind a row (nano-USD), kept for storage and allocation. */
export interface RowSums {
  provider: ReconcileProvider;
  day: string;
  model: string;
  project: string | null;
  providerNanos: number;
  providerRequests: number | null;
  providerInput: number;
  providerOutput: number;
  providerHasUsage: boolean;
  providerCharge: boolean;
  ledgerNanos: number;
  ledgerRequests: number;
  ledgerInput: number;
  ledgerOutput: number;
  ledgerUnpriced: number;
  ledgerSeen: boolean;
}

/** Parts per million: "2%" → 20 000. */
export type TolerancePpm = number;

/** |ledger − provider| ≤ tolerance × provider, in exact integers; a provider figure of 0 needs a ledger 0. */
export function withinTolerance(
  providerNanos: number,
  ledgerNanos: number,
  tolerancePpm: TolerancePpm,
): boolean {
  const diff = BigInt(Math.abs(ledgerNanos - providerNanos));
  return diff * 1_000_000n <= BigInt(tolerancePpm) * BigInt(Math.abs(providerNanos));
}

/** ledger ÷ provider × 100, rounded half up to 2 decimals, from integers. */
export function coveragePct(providerNanos: number, ledgerNanos: number): number | null {
  if (providerNanos === 0) return ledgerNanos === 0 ? 100 : null;
  const p = BigInt(providerNanos);
  const hundredths = (BigInt(ledgerNanos) * 10_000n * 2n + p) / (2n * p);
  return Number(hundredths) / 100;
}

/** Why a row is outside tolerance, most specific first. */
export function likelyCause(s: RowSums, modelsInLedger: ReadonlySet<string>): string {
  if (s.providerCharge && !s.ledgerSeen) {
    return "a charge without tokens (e.g. code execution, web search): costtrail does not record it";
  }
  if (s.model !== "*" && !modelsInLedger.has(s.model) && s.providerNanos > 0) {
    return "model unknown to the ledger: a service without costtrail?";
  }
  if (s.ledgerUnpriced > 0) {
    return `${s.ledgerUnpriced} ledger call(s) have no known price: add a price override`;
  }
  const tokensMatch = s.providerInput === s.ledgerInput && s.providerOutput === s.ledgerOutput;
  const requestsMatch = s.providerRequests === null || s.providerRequests === s.ledgerRequests;
  if (s.providerHasUsage && tokensMatch && requestsMatch) {
    return "tokens match but cost differs: costtrail's price table differs from the provider's";
  }
  if (
    (s.providerRequests !== null && s.providerRequests > s.ledgerRequests) ||
    s.providerInput > s.ledgerInput ||
    s.providerOutput > s.ledgerOutput
  ) {
    const missing =
      s.providerRequests !== null && s.providerRequests > s.ledgerRequests
        ? `${s.providerRequests - s.ledgerRequests} request(s) missing`
        : "tokens missing";
    return `${missing}: calls made without costtrail (uninstrumented code, a shared key)`;
  }
  if (s.ledgerNanos > s.providerNanos) {
    return "ledger above the provider: calls billed to another organization or key, or not yet reported";
  }
  return "cost differs and nothing else does: check the price table and the provider's adjustments";
}

function keyOf(groups: ReadonlySet<GroupKey>, day: string, model: string, project: string | null): string {
  return JSON.stringify([
    groups.has("day") ? day : "*",
    groups.has("model") ? model : "*",
    groups.has("project") ? project : null,
  ]);
}

/**
 * Joins provider and ledger lines on the chosen keys and judges each row against the tolerance. With
 * `project` among the keys the ledger side is not attributable per row and only the totals are compared.
 */
export function compare(
  provider: ReconcileProvider,
  providerLines: readonly ProviderLine[],
  ledgerLines: readonly LedgerLine[],
  groups: ReadonlySet<GroupKey>,
  tolerancePpm: TolerancePpm,
): { rows: ReconcileRow[]; sums: RowSums[] } {
  const byKey = new Map<string, RowSums>();
  const sumsFor = (day: string, model: string, project: string | null): RowSums => {
    const key = keyOf(groups, day, model, project);
    let s = byKey.get(key);
    if (!s) {
      s = {
        provider,
        day: groups.has("day") ? day : "*",
        model: groups.has("model") ? model : "*",
        project: groups.has("project") ? project : null,
        providerNanos: 0,
        providerRequests: null,
        providerInput: 0,
        providerOutput: 0,
        providerHasUsage: false,
        providerCharge: false,
        ledgerNanos: 0,
        ledgerRequests: 0,
        ledgerInput: 0,
        ledgerOutput: 0,
        ledgerUnpriced: 0,
        ledgerSeen: false,
      };
      byKey.set(key, s);
    }
    return s;
  };
  for (const p of providerLines) {
    const s = sumsFor(p.day, p.model, p.project);
    s.providerNanos += p.costNanos;
    if (p.requests !== null) s.providerRequests = (s.providerRequests ?? 0) + p.requests;
    s.providerInput += p.inputTokens;
    s.providerOutput += p.outputTokens;
    if (p.inputTokens > 0 || p.outputTokens > 0 || (p.requests ?? 0) > 0) s.providerHasUsage = true;
    if (p.charge) s.providerCharge = true;
  }
  const byProject = groups.has("project");
  if (!byProject) {
    for (const l of ledgerLines) {
      const s = sumsFor(l.day, l.model, null);
      s.ledgerNanos += l.costNanos;
      s.ledgerRequests += l.requests;
      s.ledgerInput += l.inputTokens;
      s.ledgerOutput += l.outputTokens;
      s.ledgerUnpriced += l.unpriced;
      s.ledgerSeen = true;
    }
  }
  // OpenAI always reports request counts; a ledger-only row there has 0 provider requests, not "unknown".
  if (provider === "openai") for (const s of byKey.values()) s.providerRequests ??= 0;

  const modelsInLedger = new Set(ledgerLines.map((l) => l.model));
  const sums = [...byKey.values()].sort(
    (a, b) =>
      a.day.localeCompare(b.day) ||
      a.model.localeCompare(b.model) ||
      String(a.project).localeCompare(String(b.project)),
  );
  const rows = sums.map((s): ReconcileRow => {
    const ok = byProject || withinTolerance(s.providerNanos, s.ledgerNanos, tolerancePpm);
    return {
      provider,
      day: s.day,
      model: s.model,
      ...(byProject ? { project: s.project } : {}),
      providerUsd: nanosToUsd(s.providerNanos),
      ledgerUsd: byProject ? null : nanosToUsd(s.ledgerNanos),
      diffUsd: byProject ? null : nanosToUsd(s.ledgerNanos - s.providerNanos),
      providerRequests: s.providerRequests,
      ledgerRequests: byProject ? null : s.ledgerRequests,
      providerInputTokens: s.providerInput,
      ledgerInputTokens: byProject ? null : s.ledgerInput,
      providerOutputTokens: s.providerOutput,
      ledgerOutputTokens: byProject ? null : s.ledgerOutput,
      coveragePct: byProject ? null : coveragePct(s.providerNanos, s.ledgerNanos),
      withinTolerance: ok,
      cause: ok ? null : likelyCause(s, modelsInLedger),
    };
  });
  return { rows, sums };
}

export function totalsOf(providerNanos: number, ledgerNanos: number): ReconcileTotals {
  return {
    providerUsd: nanosToUsd(providerNanos),
    ledgerUsd: nanosToUsd(ledgerNanos),
    diffUsd: nanosToUsd(ledgerNanos - providerNanos),
    coveragePct: coveragePct(providerNanos, ledgerNanos),
  };
}
