import type { UsageEvent } from "../types.js";
import type { PriceInput, Pricer } from "./pricer.js";

/** The pricing fields of a usage event. */
export type EventPrice = Pick<
  UsageEvent,
  "costMicros" | "costNanos" | "costSource" | "costBreakdown" | "priceSource"
>;

/**
 * Prices a finished event. The call lifecycle marks usage it estimated (no usage came back) by setting
 * `costSource: "estimated"` before pricing; the estimate is then priced like measured usage and keeps the flag.
 */
export function priceUsageEvent(pricer: Pricer, event: UsageEvent, at?: Date | number): EventPrice {
  // A batch line the provider did not answer (errored, expired, canceled) is billed nothing, whatever its model
  // (often unknown): 0, never "unpriced" (docs/pricing.md "Batch APIs"). Re-pricing keeps it so.
  if (event.usage.batch && event.status !== "ok")
    return { costMicros: 0, costNanos: 0, costSource: "computed" };
  const a = event.annotations;
  // Built by assignment, not conditional spreads: this runs once per call. `at` spares parsing `ts` back.
  const input: PriceInput = {
    provider: event.provider,
    requestModel: event.requestModel,
    usage: event.usage,
    ts: at ?? event.ts,
  };
  if (event.responseModel) input.responseModel = event.responseModel;
  if (a.priceAsResource) {
    input.priceAsResource = a.priceAsResource;
    if (a.priceAsCategory) input.priceAsCategory = a.priceAsCategory;
  }
  if (a.accountName) input.accountName = a.accountName;
  if (event.costSource === "estimated") input.estimated = true;
  const r = pricer.price(input);
  const out: EventPrice = { costMicros: r.costMicros, costNanos: r.costNanos, costSource: r.costSource };
  if (r.costBreakdown) out.costBreakdown = r.costBreakdown;
  if (r.priceSource) out.priceSource = r.priceSource;
  return out;
}
