// FinOps FOCUS rows from the ledger (docs/focus.md lists every column and where its value comes from).
// Money stays integer nano-USD until the row is written; BilledCost is its exact decimal.
import type { Database } from "better-sqlite3";
import { Pricer } from "../pricing/index.js";
import { type FocusGroup, focusGroups, latestAllocations } from "../reconcile/ledger-side.js";
import { nanosToUsdText } from "../reconcile/money.js";
import {
  costNanosByKind,
  splitByWeights,
  TOKEN_KINDS,
  type TokenKind,
  tokensByKind,
  zeroByKind,
} from "../reconcile/token-kinds.js";

/** The columns written, in order. `x_` columns are costtrail's own (FOCUS allows custom columns so prefixed). */
export const FOCUS_COLUMNS = [
  "BilledCost",
  "EffectiveCost",
  "ListCost",
  "ContractedCost",
  "BillingCurrency",
  "BillingPeriodStart",
  "BillingPeriodEnd",
  "ChargePeriodStart",
  "ChargePeriodEnd",
  "ChargeCategory",
  "ChargeFrequency",
  "ChargeDescription",
  "PricingCategory",
  "PricingQuantity",
  "PricingUnit",
  "ConsumedQuantity",
  "ConsumedUnit",
  "ServiceProviderName",
  "HostProviderName",
  "InvoiceIssuerName",
  "ServiceName",
  "ServiceCategory",
  "ServiceSubcategory",
  "ResourceId",
  "ResourceType",
  "SkuId",
  "SkuMeter",
  "SkuPriceDetails",
  "Tags",
  "AllocatedMethodId",
  "AllocatedMethodDetails",
  "x_CostNanos",
  "x_CostSource",
  "x_Requests",
] as const;
export type FocusColumn = (typeof FOCUS_COLUMNS)[number];

/** One FOCUS row. Costs are exact decimal text; the JSON-valued columns are objects (strings in CSV). */
export type FocusRow = Record<FocusColumn, string | number | Record<string, string> | null>;

const METER_NAMES: Record<TokenKind, string> = {
  input: "Input Tokens",
  cache_read: "Cache Read Input Tokens",
  cache_write: "Cache Write Input Tokens",
  output: "Output Tokens",
};

const PROVIDERS: Record<string, { name: string; host: string; service: string }> = {
  openai: { name: "OpenAI", host: "OpenAI", service: "OpenAI API" },
  "azure-openai": { name: "OpenAI", host: "Microsoft", service: "Azure OpenAI" },
  anthropic: { name: "Anthropic", host: "Anthropic", service: "Claude API" },
  bedrock: { name: "Amazon Web Services", host: "Amazon Web Services", service: "Amazon Bedrock" },
};

function providerNames(provider: string) {
  return PROVIDERS[provider] ?? { name: provider, host: provider, service: provider };
}

const DAY_MS = 86_400_000;

function period(day: string): { start: string; end: string; monthStart: string; monthEnd: string } {
  const start = Date.parse(`${day}T00:00:00Z`);
  const d = new Date(start);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  return {
    start: iso(start),
    end: iso(start + DAY_MS),
    monthStart: iso(monthStart),
    monthEnd: iso(monthEnd),
  };
}

function tags(values: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== null));
}

function row(day: string, provider: string, costNanos: number, fields: Partial<FocusRow>): FocusRow {
  const p = period(day);
  const names = providerNames(provider);
  const cost = nanosToUsdText(costNanos);
  return {
    BilledCost: cost,
    EffectiveCost: cost,
    ListCost: cost,
    ContractedCost: cost,
    BillingCurrency: "USD",
    BillingPeriodStart: p.monthStart,
    BillingPeriodEnd: p.monthEnd,
    ChargePeriodStart: p.start,
    ChargePeriodEnd: p.end,
    ChargeCategory: "Usage",
    ChargeFrequency: "Usage-Based",
    ChargeDescription: null,
    PricingCategory: "Standard",
    PricingQuantity: null,
    PricingUnit: null,
    ConsumedQuantity: null,
    ConsumedUnit: null,
    ServiceProviderName: names.name,
    HostProviderName: names.host,
    InvoiceIssuerName: names.host,
    ServiceName: names.service,
    ServiceCategory: "AI and Machine Learning",
    ServiceSubcategory: "Generative AI",
    ResourceId: null,
    ResourceType: null,
    SkuId: null,
    SkuMeter: null,
    SkuPriceDetails: null,
    Tags: {},
    AllocatedMethodId: null,
    AllocatedMethodDetails: null,
    x_CostNanos: costNanos,
    x_CostSource: "measured",
    x_Requests: null,
    ...fields,
  };
}

const SILENT = { warn: () => {}, error: () => {} };

/**
 * The meters of one ledger group: tokens per kind, and the group's exact cost split over the kinds in
 * proportion to what each kind costs at costtrail's prices (the parts sum to the group's cost exactly).
 */
function meters(pricer: Pricer, g: FocusGroup) {
  const usage = {
    inputTokens: g.inputTokens,
    outputTokens: g.outputTokens,
    cacheReadTokens: g.cacheReadTokens,
    cacheWriteTokens: g.cacheWriteTokens,
    reasoningTokens: g.reasoningTokens,
  };
  const tokens = tokensByKind(usage);
  const weights =
    costNanosByKind(pricer, {
      provider: g.provider,
      requestModel: g.model,
      usage,
      ts: `${g.day}T00:00:00Z`,
    }) ?? zeroByKind();
  return { tokens, cost: splitByWeights(g.costNanos, weights, tokens) };
}

export interface FocusExport {
  rows: FocusRow[];
  /** Σ x_CostNanos of measured rows (the ledger's cost over the window) and of allocated rows. */
  measuredNanos: number;
  allocatedNanos: number;
}

/**
 * FOCUS rows for [startMs, endMs): one per UTC day × provider × model × token kind × (use case, account,
 * user), then one per allocated share of the latest reconciliation that allocated each day.
 */
export function focusExport(db: Database, startMs: number, endMs: number): FocusExport {
  const pricer = new Pricer({ logger: SILENT });
  const rows: FocusRow[] = [];
  let measuredNanos = 0;
  let allocatedNanos = 0;
  for (const g of focusGroups(db, startMs, endMs)) {
    const m = meters(pricer, g);
    const names = providerNames(g.provider);
    // The group's requests go on its first written meter, so they add up once.
    let requests: number | null = g.requests;
    for (const kind of TOKEN_KINDS) {
      if (m.tokens[kind] === 0 && m.cost[kind] === 0) continue;
      measuredNanos += m.cost[kind];
      rows.push(
        row(g.day, g.provider, m.cost[kind], {
          ChargeDescription: `${g.model} ${METER_NAMES[kind].toLowerCase()}`,
          PricingQuantity: m.tokens[kind],
          PricingUnit: "Tokens",
          ConsumedQuantity: m.tokens[kind],
          ConsumedUnit: "Tokens",
          ResourceId: g.model,
          ResourceType: "Model",
          SkuId: `${g.provider}/${g.model}/${kind}`,
          SkuMeter: METER_NAMES[kind],
          SkuPriceDetails: { Provider: names.name, Model: g.model, TokenKind: kind },
          Tags: tags({ use_case: g.useCaseName, account: g.accountName, user: g.userId }),
          x_Requests: requests,
        }),
      );
      requests = null;
    }
  }
  for (const a of latestAllocations(db, startMs, endMs)) {
    allocatedNanos += a.allocatedNanos;
    rows.push(
      row(a.day, a.provider, a.allocatedNanos, {
        ChargeDescription: "provider spend the ledger does not explain, allocated by costtrail reconcile",
        SkuMeter: "Allocated Unexplained Spend",
        Tags: tags({ use_case: a.useCaseName, account: a.accountName }),
        AllocatedMethodId: "costtrail-proportional-tracked-spend",
        AllocatedMethodDetails: {
          Basis: "tracked spend per use case and account, same provider and day",
          RunId: a.runId,
        },
        x_CostSource: "allocated",
      }),
    );
  }
  return { rows, measuredNanos, allocatedNanos };
}

/** A row as CSV fields: JSON-valued columns serialised, empty for null. */
export function focusCsvRecord(r: FocusRow): (string | number | null)[] {
  return FOCUS_COLUMNS.map((c) => {
    const v = r[c];
    return v !== null && typeof v === "object" ? JSON.stringify(v) : v;
  });
}
