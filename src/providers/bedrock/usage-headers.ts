import type { TokenUsage } from "../../types.js";
import { count, withCache } from "./counts.js";

/** The `x-amzn-bedrock-*-token-count` response headers of InvokeModel (lowercased names). */
export function headerUsage(headers: Record<string, string>): Partial<TokenUsage> | undefined {
  const num = (name: string) => {
    const value = headers[`x-amzn-bedrock-${name}`];
    return value === undefined || value === "" ? undefined : count(Number(value));
  };
  const out = withCache(
    num("input-token-count"),
    num("cache-read-input-token-count"),
    num("cache-write-input-token-count"),
  );
  const output = num("output-token-count");
  if (output !== undefined) out.outputTokens = output;
  return out.inputTokens === undefined && output === undefined ? undefined : out;
}
