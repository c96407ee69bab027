import type { CallStart } from "../../calls/index.js";

/** An `AzureOpenAI` client (by class name, so both builds of the SDK and subclasses are recognised). */
export function isAzure(client: any): boolean {
  for (let c = client?.constructor; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (c.name === "AzureOpenAI") return true;
  }
  return false;
}

/** The call's description, shared by every OpenAI method: provider (Azure or not), model, stream. */
export function describeRequest(
  operation: string,
  client: any,
  body: any,
  estimateInputTokens: () => number,
  maxOutputTokens?: number,
): Omit<CallStart, "headers" | "sdkError"> {
  const azure = isAzure(client);
  return {
    provider: azure ? "azure-openai" : "openai",
    operation,
    // Azure routes by deployment: that name is what the request addresses, priced via priceAsResource.
    requestModel: String((azure && client?.deploymentName) || body.model || "unknown"),
    stream: body.stream === true,
    estimateInputTokens,
    maxOutputTokens,
  };
}
