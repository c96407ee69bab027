export { parsePriceOverrides } from "./overrides.js";
export { type PriceInput, type PriceResult, Pricer } from "./pricer.js";
export { toPriceProviderId } from "./provider-map.js";
