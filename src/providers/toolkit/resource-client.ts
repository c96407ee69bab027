import type { CallStart } from "../../calls/index.js";
import { ownerOf, patchMethod, type Undo } from "./patch.js";
import { type BillableMethod, wrapResourceMethod } from "./resource-method.js";
import { patchSdkClient } from "./sdk-client.js";

/**
 * Patches one loaded build of an SDK shaped like `openai` and `@anthropic-ai/sdk`: the client class exposes its
 * resource classes as statics (`OpenAI.Chat.Completions`), and its base error class by name. Each billable method
 * of the table is wrapped where its class defines it; the client's per-request hooks once.
 */
export function patchResourceClient(
  label: string,
  Client: any,
  errorName: string,
  sdk: Record<string, any>,
  methods: readonly BillableMethod[],
): Undo[] {
  if (typeof Client !== "function") return [];
  const sdkError = (Client[errorName] ?? sdk[errorName]) as CallStart["sdkError"];
  const undos: Undo[] = [];
  for (const method of methods) {
    const wrap = wrapResourceMethod(method, sdkError);
    undos.push(
      patchMethod(`${label} ${method.label}`, ownerOf(method.resource(Client), "create"), "create", wrap),
    );
  }
  undos.push(...patchSdkClient(Client.prototype, label));
  return undos;
}
