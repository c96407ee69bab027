import type { CallStart } from "../../calls/index.js";

/** Azure OpenAI's hosts: `<resource>.openai.azure.com` and the AI Foundry / Cognitive Services ones. */
const AZURE_HOST = /\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/i;

/**
 * An Azure OpenAI client: an `AzureOpenAI` (by class name, so both builds of the SDK and subclasses are
 * recognised), or a plain `OpenAI` client pointed at Azure's v1 API — an Azure host, or a base URL ending in
 * `/openai/v1`, the path Azure serves it under (OpenAI's own is `/v1`; docs/providers.md "Azure OpenAI").
 */
export function isAzure(client: any): boolean {
  if (!client || typeof client !== "object") return false;
  let azure = azureClients.get(client);
  if (azure === undefined) {
    azure = detectAzure(client);
    azureClients.set(client, azure);
  }
  return azure;
}

/** Per client: its class and base URL do not change (`withOptions()` makes a new client). */
const azureClients = new WeakMap<object, boolean>();

function detectAzure(client: any): boolean {
  for (let c = client?.constructor; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (c.name === "AzureOpenAI") return true;
  }
  const baseURL = client?.baseURL;
  if (typeof baseURL !== "string") return false;
  try {
    const url = new URL(baseURL);
    return AZURE_HOST.test(url.hostname) || /\/openai\/v1\/?$/.test(url.pathname);
  } catch {
    return false;
  }
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
