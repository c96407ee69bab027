import type { CallStart } from "../../calls/index.js";
import { patchApiPromise } from "./api-promise.js";
import type { BatchRoute } from "./batch-request.js";
import { type BillableRequest, billableTable, wrapRequest } from "./billable-request.js";
import { ownerOf, patchMethod, type Undo } from "./patch.js";
import { patchSdkClient } from "./sdk-client.js";

/**
 * Patches one loaded build of an SDK shaped like `openai` and `@anthropic-ai/sdk` (Stainless): the client class,
 * its base error class by name, its APIPromise class. Every request passes through `request` (its slot, its APIPromise); billable
 * ones are recognised by path once the SDK has resolved their options, in `prepareOptions`, which with
 * `fetchWithTimeout` makes the per-attempt hooks (sdk-client.ts).
 */
export function patchResourceClient(
  label: string,
  Client: any,
  errorName: string,
  sdk: Record<string, any>,
  rows: readonly BillableRequest[],
  batchRoutes: readonly BatchRoute[] = [],
): Undo[] {
  if (typeof Client !== "function") return [];
  const sdkError = (Client[errorName] ?? sdk[errorName]) as CallStart["sdkError"];
  const table = billableTable(rows);
  const proto = Client.prototype;
  return [
    patchMethod(
      `${label} client.request`,
      ownerOf(proto, "request"),
      "request",
      wrapRequest(table, sdkError, batchRoutes),
    ),
    ...patchSdkClient(proto, label),
    // The build's APIPromise class, where it exports it (both SDKs do): else each promise is hooked on its own.
    ...patchApiPromise(sdk.APIPromise, label),
  ];
}
