import type { TokenUsage } from "../../types.js";
import { count, withCache } from "./counts.js";

/** The final stream chunk's `amazon-bedrock-invocationMetrics`: Bedrock's own, authoritative count. */
export function invocationMetricsUsage(m: any, previous?: TokenUsage): Partial<TokenUsage> {
  const out = withCache(
    count(m?.inputTokenCount),
    count(m?.cacheReadInputTokenCount),
    count(m?.cacheWriteInputTokenCount),
    previous,
  );
  const output = count(m?.outputTokenCount);
  if (output !== undefined) out.outputTokens = output;
  return out;
}
