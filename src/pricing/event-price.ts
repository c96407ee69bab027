import type { UsageEvent } from "../types.js";
import type { Pricer } from "./pricer.js";

/** The pricing fields of a usage event. */
export type EventPrice = Pick<
  UsageEvent,
  "costMicros" | "costNanos" | "costSource" | "costBreakdown" | "priceSource"
>;

/**
 * Prices a finished event. The call lifecycle marks usage it estimated (no usage came back) by setting
 * `costSource: "estimated"` before pricing; the estimate is then priced like measured usage and keeps the flag.
 */
export function priceUsageEvent(pricer: Pricer, event: UsageEvent): EventPrice {
  const a = event.annotations;
  const r = pricer.price({
    provider: event.provider,
    requestModel: event.requestModel,
    ...(event.responseModel ? { responseModel: event.responseModel } : {}),
    usage: event.usage,
    ts: event.ts,
    ...(a.priceAsResource ? { priceAsResource: a.priceAsResource } : {}),
    ...(a.priceAsResource && a.priceAsCategory ? { priceAsCategory: a.priceAsCategory } : {}),
    ...(a.accountName ? { accountName: a.accountName } : {}),
    ...(event.costSource === "estimated" ? { estimated: true } : {}),
  });
  const out: EventPrice = { costMicros: r.costMicros, costNanos: r.costNanos, costSource: r.costSource };
  if (r.costBreakdown) out.costBreakdown = r.costBreakdown;
  if (r.priceSource) out.priceSource = r.priceSource;
  return out;
}
