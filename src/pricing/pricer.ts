import type { ModelPrice } from "@pydantic/genai-prices";
import type { CostBreakdown, CostSource, Logger, PriceOverride, TokenUsage } from "../types.js";
import { applyExtraRates, type ServedTier, toServedTier } from "./extra-rates.js";
import { nanosToMicros } from "./money.js";
import { discounted, OverrideTable, overridePrices, parsePriceOverrides } from "./overrides.js";
import { toPriceProviderId } from "./provider-map.js";
import { PriceTable, sourceAt, toDate } from "./table.js";
import { type PricedUsage, toPricedUsage } from "./usage.js";

export interface PriceInput {
  /** UsageEvent.provider: "openai" | "azure-openai" | "anthropic" | "bedrock" | a genai-prices provider id. */
  provider: string;
  requestModel: string;
  responseModel?: string;
  usage: TokenUsage;
  /** When the call was made (a Date, an ISO string, or epoch ms); selects dated prices. */
  ts: Date | string | number;
  priceAsResource?: string;
  /** Provider to price `priceAsResource` with (ours or a genai-prices id); ignored without priceAsResource. */
  priceAsCategory?: string;
  /** The call's accountName annotation: selects per-account overrides. */
  accountName?: string;
  /** The usage is costtrail's estimate (no usage came back): priced the same, flagged `costSource: "estimated"`. */
  estimated?: boolean;
}

export interface PriceResult {
  /** Integer nano-USD; null when unpriced. */
  costNanos: number | null;
  /** costNanos rounded up to whole micro-USD; null when unpriced. */
  costMicros: number | null;
  costSource: CostSource;
  /** Nano-USD per dimension, summing to costNanos. */
  costBreakdown?: CostBreakdown;
  /** `genai-prices@x.y.z`, `genai-prices@x.y.z+table:<date>`, `override:<model>`. */
  priceSource?: string;
  /** The name that was priced: priceAsResource, responseModel or requestModel (an override's `model`). */
  pricedModel?: string;
  /** genai-prices provider id it was priced under, e.g. "azure" for "azure-openai", "aws" for "bedrock". */
  pricedProvider?: string;
}

// Bounds the once-per-(provider, model) warning memory if model names are unbounded.
const MAX_WARNED = 2000;

/**
 * Prices usage events: overrides first, then genai-prices' dated table with our extra rates (extra-rates.ts)
 * for the tier the provider served. Table lookups are memoized per (provider, model) until the price data
 * changes, and most models are then priced by an exact integer replay of genai-prices' arithmetic (plan.ts).
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
    const result = this.#price(input);
    if (input.estimated && result.costNanos !== null) result.costSource = "estimated";
    return result;
  }

  #price(input: PriceInput): PriceResult {
    const usage = toPricedUsage(input.usage);
    const tier = toServedTier(input.usage.serviceTier, input.usage.batch);
    const callProvider = toPriceProviderId(input.provider);
    const { priceAsResource, requestModel, ts } = input;
    // Without overrides (`find` answers none) only the table is asked: no closure, no override lookups per call.
    const byOverride =
      this.#overrides.size === 0
        ? undefined
        : (model: string, provider: string) =>
            this.#byOverride(model, provider, callProvider, usage, ts, tier, input.accountName);

    if (priceAsResource) {
      const provider = input.priceAsCategory ? toPriceProviderId(input.priceAsCategory) : callProvider;
      return (
        byOverride?.(priceAsResource, provider) ??
        this.#byTable(provider, priceAsResource, usage, ts, tier) ??
        this.#unpriced(input.priceAsCategory || input.provider, [priceAsResource])
      );
    }

    // Overrides are tried on both names: an Azure deployment override names the requestModel even though
    // Azure reports the underlying model (e.g. "gpt-4o-2024-08-06") as responseModel.
    const response =
      input.responseModel && input.responseModel !== requestModel ? input.responseModel : undefined;
    // The table prices what served the call. Bedrock bills the model id or inference profile in the URL
    // (`global.…` is cheaper than the regional rate the body's model name would match), so there the request
    // wins; elsewhere the response names the model that served (a dated snapshot of an alias).
    const aws = callProvider === "aws";
    const first = aws ? requestModel : response;
    const second = aws ? response : requestModel;
    return (
      (byOverride &&
        ((response && byOverride(response, callProvider)) || byOverride(requestModel, callProvider))) ||
      (first && this.#byTable(callProvider, first, usage, ts, tier)) ||
      (second && this.#byTable(callProvider, second, usage, ts, tier)) ||
      this.#unpriced(input.provider, response ? [response, requestModel] : [requestModel])
    );
  }

  /**
   * An override's price: its rates over the table's (cache discounts and per-call fees kept, see
   * overridePrices), or the table's prices less a discount; then the served tier's multiplier.
   */
  #byOverride(
    model: string,
    provider: string,
    callProvider: string,
    usage: PricedUsage,
    ts: Date | string | number,
    tier: ServedTier,
    accountName: string | undefined,
  ): PriceResult | undefined {
    const { rates, discount } = this.#overrides.find(model, provider, callProvider, accountName);
    if (!rates && !discount) return undefined;
    const entry = this.#table.lookup(provider, model);
    // A discount needs a price to discount.
    if (!rates && !entry) return undefined;
    const variant = entry ? this.#table.variantAt(entry, ts) : -1;
    const pct = rates?.override.discountPct ?? discount?.override.discountPct ?? 0;
    const key = `${rates?.index ?? "-"}|${discount?.index ?? "-"}|${entry ? `${entry.providerId}/${entry.modelId}#${variant}` : "-"}|${tier}`;
    const cost = this.#table.costWith(
      key,
      () => {
        let prices: ModelPrice;
        if (rates) {
          const base = entry ? this.#table.pricesAt(entry, ts, "standard") : null;
          // Negotiated rates keep the provider-wide tier multipliers (flex, batch), not per-model tier tables.
          prices = applyExtraRates(
            entry?.providerId ?? provider,
            "\0override",
            overridePrices(rates.override, base),
            tier,
          ).prices;
        } else {
          prices = this.#table.pricesAt(entry!, ts, tier) ?? {};
        }
        const parts = rates ? [`override:${rates.override.model}`] : [];
        if (discount && rates?.override.discountPct === undefined)
          parts.push(`override:${discount.override.model}`);
        const tableSource = entry ? sourceAt(entry, toDate(ts), tier) : null;
        if (tableSource) parts.push(tableSource);
        const source = parts.join("+");
        return { prices: discounted(prices, pct), source };
      },
      usage,
    );
    if (!cost) return undefined;
    const named = rates ?? discount!;
    return {
      costNanos: cost.costNanos,
      costMicros: nanosToMicros(cost.costNanos),
      costSource: "override",
      costBreakdown: cost.breakdown,
      priceSource: cost.priceSource,
      pricedModel: rates ? rates.override.model : model,
      pricedProvider: named.providerId ?? provider,
    };
  }

  #byTable(
    provider: string,
    model: string,
    usage: PricedUsage,
    ts: Date | string | number,
    tier: ServedTier,
  ): PriceResult | undefined {
    if (!model) return undefined;
    const entry = this.#table.lookup(provider, model);
    if (!entry) return undefined;
    const cost = this.#table.cost(entry, usage, ts, tier);
    if (cost === null) return undefined;
    if (cost.unpricedTier) {
      this.#warnOnce(
        `tier\0${entry.providerId}\0${entry.modelId}\0${tier}`,
        `costtrail: no "${tier}" tier rate for model "${model}" of provider "${provider}"; priced at the ` +
          `standard rate. Add an override (docs/pricing.md) if your bill differs.`,
      );
    }
    return {
      costNanos: cost.costNanos,
      costMicros: nanosToMicros(cost.costNanos),
      costSource: "computed",
      costBreakdown: cost.breakdown,
      priceSource: cost.priceSource,
      pricedModel: model,
      pricedProvider: entry.providerId,
    };
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    if (this.#warned.size >= MAX_WARNED) this.#warned.clear();
    this.#warned.add(key);
    try {
      this.#logger.warn(message);
    } catch {
      // The logger may be the user's: what it throws must never cost the event its price (issue 22, item 10).
    }
  }

  #unpriced(provider: string, models: string[]): PriceResult {
    const names = models.map((m) => `"${m}"`).join(" / ");
    this.#warnOnce(
      `${provider}\0${models.join("\0")}`,
      `costtrail: no known price for model ${names} of provider "${provider}"; its calls are recorded with ` +
        `costMicros null. Price it with instrument({ prices: [{ model, inputPerMTok, outputPerMTok }] }) ` +
        `or the priceAsResource annotation.`,
    );
    return { costNanos: null, costMicros: null, costSource: "unpriced" };
  }
}
