export { type EventPrice, priceUsageEvent } from "./event-price.js";
export * as money from "./money.js";
export { parsePriceOverrides } from "./overrides.js";
export { currentPriceData, genaiPriceSource, setPriceData, updatePrices } from "./price-data.js";
export { type PriceInput, type PriceResult, Pricer } from "./pricer.js";
export { toPriceProviderId } from "./provider-map.js";
