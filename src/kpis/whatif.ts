import type { Database } from "better-sqlite3";
import { type EventFilterOptions, eventFilter } from "../ledger/queries.js";
import { Pricer } from "../pricing/index.js";
import { useCaseCalls } from "./ledger-queries.js";

/** Where a model is looked up when no provider is given: the call's own provider first, then these. */
const FALLBACK_PROVIDERS = ["openai", "anthropic", "google", "mistral", "aws"] as const;

export interface WhatifOptions extends Omit<EventFilterOptions, "useCase"> {
  useCase: string;
  model: string;
  /** The provider to price `model` under; default: each call's own, then the common ones. */
  provider?: string;
}

export interface WhatifModelRow {
  requestModel: string;
  calls: number;
  /** Exact nano-USD sums, as decimal strings; the micro-USD figures are them rounded up. */
  currentNanos: string;
  whatifNanos: string;
  currentMicros: number;
  whatifMicros: number;
}

export interface WhatifResult {
  useCase: string;
  model: string;
  /** The provider `model` was priced under (the first call's), or null when it has no known price. */
  pricedProvider: string | null;
  since: string | null;
  until: string | null;
  calls: number;
  /** Exact nano-USD (decimal strings): what the calls cost, and what the same tokens would cost on `model`. */
  currentNanos: string;
  whatifNanos: string;
  /** The same in integer micro-USD, each rounded up from the exact sum. */
  currentMicros: number;
  whatifMicros: number;
  /** current − what-if (positive: the other model is cheaper). Over calls priced both ways. */
  savingMicros: number;
  /** savingMicros ÷ currentMicros; null when the current cost is 0. */
  savingRatio: number | null;
  /** Calls left out of the comparison: no known price today, or none on `model`. */
  unpriced: number;
  byModel: WhatifModelRow[];
}

/** Re-prices a use case's calls (same tokens) on another model, with the bundled price table. */
export function whatif(db: Database, opts: WhatifOptions): WhatifResult {
  const filter = eventFilter(opts);
  const pricer = new Pricer({ logger: { warn: () => {}, error: () => {} } });
  let pricedProvider: string | null = null;
  let unpriced = 0;
  const byModel = new Map<string, { requestModel: string; calls: number; current: bigint; whatif: bigint }>();
  const calls = useCaseCalls(db, opts.useCase, filter);
  for (const call of calls) {
    const usage = {
      inputTokens: call.inputTokens,
      outputTokens: call.outputTokens,
      cacheReadTokens: call.cacheReadTokens,
      cacheWriteTokens: call.cacheWriteTokens,
      reasoningTokens: call.reasoningTokens,
    };
    const candidates = opts.provider ? [opts.provider] : [call.provider, ...FALLBACK_PROVIDERS];
    let priced: { costNanos: number; provider: string } | undefined;
    for (const provider of candidates) {
      const r = pricer.price({ provider, requestModel: opts.model, usage, ts: call.ts });
      if (r.costNanos !== null) {
        priced = { costNanos: r.costNanos, provider: r.pricedProvider ?? provider };
        break;
      }
    }
    if (!priced || call.costNanos === null) {
      unpriced++;
      continue;
    }
    pricedProvider ??= priced.provider;
    const row = byModel.get(call.requestModel) ?? {
      requestModel: call.requestModel,
      calls: 0,
      current: 0n,
      whatif: 0n,
    };
    row.calls++;
    row.current += BigInt(call.costNanos);
    row.whatif += BigInt(priced.costNanos);
    byModel.set(call.requestModel, row);
  }
  // Summed exactly in nano-USD; rounded to micro-USD once per figure (docs/pricing.md "Exact money").
  const micros = (n: bigint) => Number((n + 999n) / 1000n);
  const sorted = [...byModel.values()].sort((a, b) =>
    a.current === b.current ? 0 : a.current < b.current ? 1 : -1,
  );
  const rows: WhatifModelRow[] = sorted.map((r) => ({
    requestModel: r.requestModel,
    calls: r.calls,
    currentNanos: r.current.toString(),
    whatifNanos: r.whatif.toString(),
    currentMicros: micros(r.current),
    whatifMicros: micros(r.whatif),
  }));
  const current = sorted.reduce((s, r) => s + r.current, 0n);
  const whatifTotal = sorted.reduce((s, r) => s + r.whatif, 0n);
  const currentMicros = micros(current);
  const whatifMicros = micros(whatifTotal);
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    useCase: opts.useCase,
    model: opts.model,
    pricedProvider,
    since: iso(filter.since),
    until: iso(filter.until),
    calls: calls.length,
    currentNanos: current.toString(),
    whatifNanos: whatifTotal.toString(),
    currentMicros,
    whatifMicros,
    savingMicros: currentMicros - whatifMicros,
    savingRatio: current === 0n ? null : Number(current - whatifTotal) / Number(current),
    unpriced,
    byModel: rows,
  };
}
