/** Request model → the dated snapshot the real API reports in responses. Unknown names are echoed. */
const OPENAI_SNAPSHOTS: Record<string, string> = {
  "gpt-4o": "gpt-4o-2024-08-06",
  "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
  "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
  "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
  "gpt-4.1": "gpt-4.1-2025-04-14",
  "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
  "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
  o1: "o1-2024-12-17",
  "o1-mini": "o1-mini-2024-09-12",
  o3: "o3-2025-04-16",
  "o3-mini": "o3-mini-2025-01-31",
  "o4-mini": "o4-mini-2025-04-16",
  "gpt-5": "gpt-5-2025-08-07",
  "gpt-5-mini": "gpt-5-mini-2025-08-07",
  "gpt-5-nano": "gpt-5-nano-2025-08-07",
};

/** Anthropic resolves aliases to dated ids in responses; dated ids come back unchanged. */
const ANTHROPIC_ALIASES: Record<string, string> = {
  "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
  "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
  "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
  "claude-3-opus-latest": "claude-3-opus-20240229",
  "claude-sonnet-4-0": "claude-sonnet-4-20250514",
  "claude-opus-4-0": "claude-opus-4-20250514",
  "claude-opus-4-1": "claude-opus-4-1-20250805",
  "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
  "claude-haiku-4-5": "claude-haiku-4-5-20251001",
  "claude-opus-4-5": "claude-opus-4-5-20251101",
};

const EMBEDDING_DIMENSIONS: Record<string, number> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536,
};

export function openaiResponseModel(model: string): string {
  return OPENAI_SNAPSHOTS[model] ?? model;
}

export function anthropicResponseModel(model: string): string {
  return ANTHROPIC_ALIASES[model] ?? model;
}

function isKnownOpenAIModel(name: string): boolean {
  return (
    name in OPENAI_SNAPSHOTS || Object.values(OPENAI_SNAPSHOTS).includes(name) || name in EMBEDDING_DIMENSIONS
  );
}

/**
 * The model Azure reports for a deployment. Azure answers with the underlying model, never the deployment
 * name: an explicit mapping wins, then a deployment or body model that is itself a known model name, then
 * a default (gpt-4o, or text-embedding-3-small for embeddings).
 */
export function azureResponseModel(
  deployment: string | undefined,
  bodyModel: string | undefined,
  embeddings: boolean,
  mapping: Record<string, string> | undefined,
): string {
  for (const name of [deployment, bodyModel]) {
    if (name === undefined) continue;
    const mapped = mapping?.[name];
    if (mapped) return mapped;
  }
  for (const name of [deployment, bodyModel]) {
    if (name !== undefined && isKnownOpenAIModel(name)) return embeddings ? name : openaiResponseModel(name);
  }
  return embeddings ? "text-embedding-3-small" : "gpt-4o-2024-08-06";
}

export function embeddingDimensions(model: string): number {
  return EMBEDDING_DIMENSIONS[model] ?? 1536;
}
