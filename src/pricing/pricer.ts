import type { CostSource, Logger, PriceOverride, TokenUsage } from "../types.js";
import { OverrideTable, overrideCostMicros, parsePriceOverrides } from "./overrides.js";
import { toPriceProviderId } from "./provider-map.js";
import { PriceTable } from "./table.js";
import { type PricedUsage, toPricedUsage } from "./usage.js";

export interface PriceInput {
  /** UsageEvent.provider: "openai" | "azure-openai" | "anthropic" | "bedrock" | a genai-prices provider id. */
  provider: string;
  requestModel: string;
  responseModel?: string;
  usage: TokenUsage;
  /** When the call was made; selects dated prices. */
  ts: Date | string;
  priceAsResource?: string;
  /** Provider to price `priceAsResource` with (ours or a genai-prices id); ignored without priceAsResource. */
  priceAsCategory?: string;
}

export interface PriceResult {
  /** Integer micro-USD; null when unpriced. */
  costMicros: number | null;
  costSource: CostSource;
  /** The name that was priced: priceAsResource, responseModel or requestModel (an override's `model`). */
  pricedModel?: string;
  /** genai-prices provider id it was priced under, e.g. "azure" for "azure-openai", "aws" for "bedrock". */
  pricedProvider?: string;
}

// Bounds the once-per-(provider, model) warning memory if model names are unbounded.
const MAX_WARNED = 2000;

/**
 * Prices usage events: overrides first, then genai-prices' bundled, dated table. Table lookups are memoized
 * per (provider, model), and most models are then priced by a replay of genai-prices' arithmetic (see
 * fast-path.ts), so a call costs ~0.1–0.3 µs instead of calcPrice's ~10–30 µs.
 */
export class Pricer {
  readonly #overrides: OverrideTable;
  readonly #table = new PriceTable();
  readonly #logger: Logger;
  readonly #warned = new Set<string>();

  /** Throws ConfigError (field `prices.N.…`) on an invalid override. */
  constructor(opts: { overrides?: PriceOverride[]; logger: Logger }) {
    this.#overrides = new OverrideTable(parsePriceOverrides(opts.overrides ?? []));
    this.#logger = opts.logger;
  }

  /** Never throws. */
  price(input: PriceInput): PriceResult {
    const usage = toPricedUsage(input.usage);
    const callProvider = toPriceProviderId(input.provider);
    const { priceAsResource, requestModel, ts } = input;

    if (priceAsResource) {
      const provider = input.priceAsCategory ? toPriceProviderId(input.priceAsCategory) : callProvider;
      return (
        this.#byOverride(priceAsResource, provider, callProvider, usage) ??
        this.#byTable(provider, priceAsResource, usage, ts) ??
        this.#unpriced(input.priceAsCategory || input.provider, [priceAsResource])
      );
    }

    // Overrides are tried on both names: an Azure deployment override names the requestModel even though
    // Azure reports the underlying model (e.g. "gpt-4o-2024-08-06") as responseModel.
    const response =
      input.responseModel && input.responseModel !== requestModel ? input.responseModel : undefined;
    return (
      (response && this.#byOverride(response, callProvider, callProvider, usage)) ||
      this.#byOverride(requestModel, callProvider, callProvider, usage) ||
      (response && this.#byTable(callProvider, response, usage, ts)) ||
      this.#byTable(callProvider, requestModel, usage, ts) ||
      this.#unpriced(input.provider, response ? [response, requestModel] : [requestModel])
    );
  }

  #byOverride(
    model: string,
    provider: string,
    callProvider: string,
    usage: PricedUsage,
  ): PriceResult | undefined {
    const o = this.#overrides.find(model, provider, callProvider);
    if (!o) return undefined;
    return {
      costMicros: overrideCostMicros(o, usage),
      costSource: "override",
      pricedModel: o.override.model,
      pricedProvider: o.providerId ?? provider,
    };
  }

  #byTable(provider: string, model: string, usage: PricedUsage, ts: Date | string): PriceResult | undefined {
    if (!model) return undefined;
    const entry = this.#table.lookup(provider, model);
    if (!entry) return undefined;
    const costMicros = this.#table.costMicros(entry, usage, ts);
    if (costMicros === null) return undefined;
    return { costMicros, costSource: "computed", pricedModel: model, pricedProvider: entry.providerId };
  }

  #unpriced(provider: string, models: string[]): PriceResult {
    const key = `${provider}\0${models.join("\0")}`;
    if (!this.#warned.has(key)) {
      if (this.#warned.size >= MAX_WARNED) this.#warned.clear();
      this.#warned.add(key);
      const names = models.map((m) => `"${m}"`).join(" / ");
      this.#logger.warn(
        `costtrail: no known price for model ${names} of provider "${provider}"; its calls are recorded with ` +
          `costMicros null. Price it with instrument({ prices: [{ model, inputPerMTok, outputPerMTok }] }) ` +
          `or the priceAsResource annotation.`,
      );
    }
    return { costMicros: null, costSource: "unpriced" };
  }
}
