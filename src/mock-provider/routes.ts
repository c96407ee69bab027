import { adminRoute } from "./admin-routes.js";
import { batchProviderOf } from "./batch-routes.js";
import type { MockOperation, MockProviderName } from "./types.js";

export interface Route {
  provider: MockProviderName;
  operation: MockOperation;
  /** Azure `/openai/deployments/{deployment}/…` paths only. */
  deployment?: string;
  /** Bedrock `/model/{modelId}/…` paths: the decoded model id (or ARN) and whether the path streams. */
  modelId?: string;
  stream?: boolean;
}

const BEDROCK_PATHS: Record<string, { operation: MockOperation; stream: boolean }> = {
  invoke: { operation: "invoke", stream: false },
  "invoke-with-response-stream": { operation: "invoke", stream: true },
  converse: { operation: "converse", stream: false },
  "converse-stream": { operation: "converse", stream: true },
};

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
 * - Bedrock Runtime: `/model/{modelId}/invoke`, `/invoke-with-response-stream`, `/converse`, `/converse-stream`
 *   (the model id URL-encoded, as the AWS SDK sends it).
 * - Admin (GET): OpenAI `/v1/organization/costs|usage/completions|usage/embeddings`, Anthropic
 *   `/v1/organizations/cost_report|usage_report/messages` (see admin-dispatch.ts).
 * - Batches (`batches`): OpenAI `/v1/files[/{id}[/content]]`, `/v1/batches[/{id}[/cancel]]`, Anthropic
 *   `/v1/messages/batches[/{id}[/results|/cancel]]` (see batches.ts).
 * Anything else is `unknown`, attributed to the provider its prefix or headers suggest.
 */
export function routeRequest(method: string, path: string, headers: Record<string, string>): Route {
  const post = method === "POST";
  const bedrock = /^\/model\/([^/]+)\/([a-z-]+)$/.exec(path);
  if (bedrock || path.startsWith("/model/")) {
    const known =
      bedrock && Object.hasOwn(BEDROCK_PATHS, bedrock[2]!) ? BEDROCK_PATHS[bedrock[2]!] : undefined;
    let modelId: string | undefined;
    try {
      modelId = bedrock ? decodeURIComponent(bedrock[1]!) : undefined;
    } catch {
      modelId = undefined; // a malformed escape: not a route the mock serves
    }
    if (post && known && modelId) return { provider: "bedrock", ...known, modelId };
    return { provider: "bedrock", operation: "unknown" };
  }
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
  const admin = method === "GET" ? adminRoute(path) : undefined;
  if (admin) return admin;
  const batchProvider = batchProviderOf(path);
  if (batchProvider) return { provider: batchProvider, operation: "batches" };
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
