import type { ModelPrice } from "@pydantic/genai-prices";
import { EXTRA_RATES, type ServedTier } from "./extra-rates.js";
import { currentPriceData } from "./price-data.js";
import { toPriceProviderId } from "./provider-map.js";
import { entryOf, PriceTable, sourceAt } from "./table.js";

/** One model's rates as `costtrail prices` lists them. */
export interface CatalogRow {
  /** genai-prices provider id. */
  provider: string;
  model: string;
  tier: ServedTier;
  /** genai-prices price keys: USD per MTok (`_mtok`), per 1,000 (`_kcount`), …; tiered prices as given. */
  rates: ModelPrice;
  /** `genai-prices@x.y.z`, plus `+table:<date>` when one of costtrail's own rates applies. */
  source: string;
}

export interface CatalogQuery {
  /** Our provider name or a genai-prices id; all providers when absent. */
  provider?: string;
  /** Case-insensitive substring of the model id. */
  model?: string;
  /** The date the rates apply on (dated prices); default now. */
  at?: Date;
  /** Also list the tier rows (flex, priority, batch) costtrail has rates for. */
  tiers?: boolean;
}

/** The models of the active price data with the rates in force at `at` and where they come from. */
export async function priceCatalog(query: CatalogQuery = {}): Promise<CatalogRow[]> {
  const at = query.at ?? new Date();
  const providerId = query.provider === undefined ? undefined : toPriceProviderId(query.provider);
  const needle = query.model?.toLowerCase();
  const table = new PriceTable();
  const rows: CatalogRow[] = [];
  for (const provider of await currentPriceData()) {
    if (providerId !== undefined && provider.id !== providerId) continue;
    for (const info of provider.models) {
      if (needle !== undefined && !info.id.toLowerCase().includes(needle)) continue;
      const entry = entryOf(provider, info);
      for (const tier of tiersFor(provider.id, info.id, query.tiers === true)) {
        const rates = table.pricesAt(entry, at, tier);
        const source = sourceAt(entry, at, tier);
        if (!rates || !source) continue;
        rows.push({ provider: provider.id, model: info.id, tier, rates, source });
      }
    }
  }
  return rows;
}

function tiersFor(provider: string, model: string, all: boolean): ServedTier[] {
  const tiers: ServedTier[] = ["standard"];
  if (!all) return tiers;
  for (const e of EXTRA_RATES) {
    if (e.tier === undefined || e.provider !== provider || tiers.includes(e.tier)) continue;
    if (e.models.includes("*") || e.models.includes(model)) tiers.push(e.tier);
  }
  return tiers;
}
