import type { TokenUsage } from "../../types.js";

/** Embeddings `usage` ({prompt_tokens, total_tokens}): input only. */
export function embeddingsUsage(u: any): Partial<TokenUsage> {
  return { inputTokens: u.prompt_tokens ?? 0 };
}
