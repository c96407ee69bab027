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
  /** Integer micro-USD: what the calls cost, and what the same tokens would cost on `model`. */
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
  const byModel = new Map<string, WhatifModelRow>();
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
    let priced: { costMicros: number; provider: string } | undefined;
    for (const provider of candidates) {
      const r = pricer.price({ provider, requestModel: opts.model, usage, ts: call.ts });
      if (r.costMicros !== null) {
        priced = { costMicros: r.costMicros, provider: r.pricedProvider ?? provider };
        break;
      }
    }
    if (!priced || call.costMicros === null) {
      unpriced++;
      continue;
    }
    pricedProvider ??= priced.provider;
    const row = byModel.get(call.requestModel) ?? {
      requestModel: call.requestModel,
      calls: 0,
      currentMicros: 0,
      whatifMicros: 0,
    };
    row.calls++;
    row.currentMicros += call.costMicros;
    row.whatifMicros += priced.costMicros;
    byModel.set(call.requestModel, row);
  }
  const rows = [...byModel.values()].sort((a, b) => b.currentMicros - a.currentMicros);
  const currentMicros = rows.reduce((s, r) => s + r.currentMicros, 0);
  const whatifMicros = rows.reduce((s, r) => s + r.whatifMicros, 0);
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    useCase: opts.useCase,
    model: opts.model,
    pricedProvider,
    since: iso(filter.since),
    until: iso(filter.until),
    calls: calls.length,
    currentMicros,
    whatifMicros,
    savingMicros: currentMicros - whatifMicros,
    savingRatio: currentMicros === 0 ? null : (currentMicros - whatifMicros) / currentMicros,
    unpriced,
    byModel: rows,
  };
}
