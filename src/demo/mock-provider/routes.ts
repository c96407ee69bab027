import type { MockOperation, MockProviderName } from "./types.js";

export interface Route {
  provider: MockProviderName;
  operation: MockOperation;
  /** Azure `/openai/deployments/{deployment}/…` paths only. */
  deployment?: string;
}

const OPENAI_PATHS: Record<string, MockOperation> = {
  "/chat/completions": "chat",
  "/responses": "responses",
  "/embeddings": "embeddings",
};

/**
 * Maps a request to a provider and operation.
 * - OpenAI: `/v1/chat/completions`, `/v1/responses`, `/v1/embeddings`.
 * - Azure: `/openai/deployments/{d}/chat/completions|embeddings` (what `AzureOpenAI` builds for those),
 *   `/openai/responses` (what `AzureOpenAI` builds for Responses, no deployment segment), and the v1 API
 *   `/openai/v1/chat/completions|responses|embeddings` (plain `OpenAI` with an Azure `/openai/v1` baseURL).
 * - Anthropic: `/v1/messages`, `/v1/messages/count_tokens`.
 * Anything else is `unknown`, attributed to the provider its prefix or headers suggest.
 */
export function routeRequest(method: string, path: string, headers: Record<string, string>): Route {
  const post = method === "POST";
  if (path.startsWith("/openai/")) {
    const deployment = /^\/openai\/deployments\/([^/]+)(\/.*)$/.exec(path);
    if (deployment) {
      const operation = OPENAI_PATHS[deployment[2]!];
      const name = decodeURIComponent(deployment[1]!);
      if (post && (operation === "chat" || operation === "embeddings")) {
        return { provider: "azure-openai", operation, deployment: name };
      }
      return { provider: "azure-openai", operation: "unknown", deployment: name };
    }
    const rest = path.replace(/^\/openai(\/v1)?/, "");
    const operation = OPENAI_PATHS[rest];
    if (post && operation && (path.startsWith("/openai/v1/") || operation === "responses")) {
      return { provider: "azure-openai", operation };
    }
    return { provider: "azure-openai", operation: "unknown" };
  }
  if (path === "/v1/messages" || path === "/v1/messages/count_tokens") {
    return {
      provider: "anthropic",
      operation: post ? (path === "/v1/messages" ? "messages" : "count_tokens") : "unknown",
    };
  }
  if (path.startsWith("/v1/")) {
    const operation = OPENAI_PATHS[path.slice(3)];
    const anthropicLike = "anthropic-version" in headers || "x-api-key" in headers;
    if (post && operation) return { provider: "openai", operation };
    return { provider: anthropicLike ? "anthropic" : "openai", operation: "unknown" };
  }
  return { provider: "anthropic-version" in headers ? "anthropic" : "openai", operation: "unknown" };
}
