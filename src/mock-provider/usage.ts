import type { MockOperation, MockProviderName, MockUsage } from "./types.js";

const FIELDS = [
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "reasoningTokens",
] as const;

/**
 * Merges an override over the computed usage and makes it representable on the provider's wire:
 * counts become non-negative integers; OpenAI/Azure report no cache writes (forced 0; Anthropic and Bedrock
 * do, and Bedrock exchanges constrain further by model family); embeddings report
 * input only; input is raised to at least cache read + write, output to at least reasoning (both are
 * inclusive totals).
 */
export function finalUsage(
  provider: MockProviderName,
  operation: MockOperation,
  computed: MockUsage,
  override: Partial<MockUsage> | undefined,
): MockUsage {
  const usage = { ...computed };
  for (const field of FIELDS) {
    const value = override?.[field];
    if (typeof value === "number" && Number.isFinite(value)) usage[field] = value;
    usage[field] = Math.max(0, Math.round(usage[field]));
  }
  if (operation === "embeddings") {
    return {
      inputTokens: usage.inputTokens,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    };
  }
  if (provider !== "anthropic" && provider !== "bedrock") usage.cacheWriteTokens = 0;
  usage.inputTokens = Math.max(usage.inputTokens, usage.cacheReadTokens + usage.cacheWriteTokens);
  usage.outputTokens = Math.max(usage.outputTokens, usage.reasoningTokens);
  return usage;
}
