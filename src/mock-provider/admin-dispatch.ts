import { answerAnthropicAdmin } from "./admin-anthropic.js";
import { answerAnthropicAnalytics } from "./admin-anthropic-analytics.js";
import { answerOpenAIAdmin } from "./admin-openai.js";
import { isAnthropicAnalyticsPath } from "./admin-routes.js";
import { AdminSpend } from "./admin-spend.js";
import type { MockError } from "./errors.js";
import type { MockAdminOptions, MockProviderName, RecordedRequest } from "./types.js";

export const DEFAULT_OPENAI_ADMIN_KEY = "sk-admin-mock";
export const DEFAULT_ANTHROPIC_ADMIN_KEY = "sk-ant-admin-mock";

/**
 * The admin endpoints take an admin key, not a project key: OpenAI as `Authorization: Bearer`, Anthropic as
 * `x-api-key` with an `anthropic-version` header. Anything else is a 401 (400 for a missing version).
 */
export class AdminEndpoints {
  readonly #spend: AdminSpend;
  readonly #options: MockAdminOptions;

  constructor(options: MockAdminOptions = {}) {
    this.#options = options;
    this.#spend = new AdminSpend(options);
  }

  authError(provider: MockProviderName, headers: Record<string, string>): MockError | undefined {
    if (provider === "openai") {
      const key = this.#options.openaiAdminKey ?? DEFAULT_OPENAI_ADMIN_KEY;
      if (headers["authorization"] === `Bearer ${key}`) return undefined;
      return { status: 401, message: "Invalid admin key: the organization endpoints need an admin API key." };
    }
    const key = this.#options.anthropicAdminKey ?? DEFAULT_ANTHROPIC_ADMIN_KEY;
    if (headers["x-api-key"] !== key) return { status: 401, message: "invalid x-api-key" };
    if (!headers["anthropic-version"])
      return { status: 400, message: "anthropic-version: header is required" };
    return undefined;
  }

  answer(
    provider: MockProviderName,
    path: string,
    params: URLSearchParams,
    requests: readonly RecordedRequest[],
  ): { body: unknown } | { error: MockError } {
    const now = Date.now();
    const forced = this.#options.pageSize;
    if (provider === "openai") {
      return answerOpenAIAdmin(path, params, this.#spend.items("openai", requests), now, forced);
    }
    const items = this.#spend.items("anthropic", requests);
    if (isAnthropicAnalyticsPath(path)) return answerAnthropicAnalytics(path, params, items, now, forced);
    return answerAnthropicAdmin(path, params, items, now, forced);
  }
}
