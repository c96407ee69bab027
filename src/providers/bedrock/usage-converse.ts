import type { TokenUsage } from "../../types.js";
import { count, withCache } from "./counts.js";

/**
 * Converse / ConverseStream `usage` ({inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens}),
 * and Nova's InvokeModel `usage`, which names the cache fields `cacheRead/WriteInputTokenCount`.
 */
export function converseUsage(u: any): Partial<TokenUsage> {
  const out = withCache(
    count(u?.inputTokens),
    count(u?.cacheReadInputTokens) ?? count(u?.cacheReadInputTokenCount),
    count(u?.cacheWriteInputTokens) ?? count(u?.cacheWriteInputTokenCount),
  );
  const output = count(u?.outputTokens);
  if (output !== undefined) out.outputTokens = output;
  return out;
}
