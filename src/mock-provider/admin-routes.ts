import type { MockOperation } from "./types.js";

type AdminOperation = "admin_costs" | "admin_usage";

/** OpenAI's Administration API paths the mock serves (see admin-openai.ts). */
const OPENAI_ADMIN_PATHS: Record<string, AdminOperation> = {
  "/v1/organization/costs": "admin_costs",
  "/v1/organization/usage/completions": "admin_usage",
  "/v1/organization/usage/embeddings": "admin_usage",
};

/**
 * Anthropic's Usage and Cost Admin API paths (see admin-anthropic.ts) and its Usage and Cost Analytics API
 * paths (admin-anthropic-analytics.ts) the mock serves.
 */
const ANTHROPIC_ADMIN_PATHS: Record<string, AdminOperation> = {
  "/v1/organizations/cost_report": "admin_costs",
  "/v1/organizations/usage_report/messages": "admin_usage",
  "/v1/organizations/analytics/cost_report": "admin_costs",
  "/v1/organizations/analytics/usage_report": "admin_usage",
};

/** Whether an Anthropic admin path is one of the Analytics API's. */
export const isAnthropicAnalyticsPath = (path: string): boolean =>
  path.startsWith("/v1/organizations/analytics/");

export function isAdminOperation(operation: MockOperation): boolean {
  return operation === "admin_costs" || operation === "admin_usage";
}

/** The admin endpoint a GET path names, if any. */
export function adminRoute(
  path: string,
): { provider: "openai" | "anthropic"; operation: AdminOperation } | undefined {
  if (Object.hasOwn(OPENAI_ADMIN_PATHS, path))
    return { provider: "openai", operation: OPENAI_ADMIN_PATHS[path]! };
  if (Object.hasOwn(ANTHROPIC_ADMIN_PATHS, path)) {
    return { provider: "anthropic", operation: ANTHROPIC_ADMIN_PATHS[path]! };
  }
  return undefined;
}
