/**
 * Our provider names (UsageEvent.provider, priceAsCategory) → genai-prices provider ids.
 * Anything not listed is tried as a genai-prices id as is (genai-prices also matches ids loosely, e.g.
 * "google-vertex" → google). "azure-openai" must be mapped here: genai-prices would otherwise match it to
 * openai through openai's `contains: "openai"` rule and skip Azure's own prices.
 */
const PROVIDER_IDS = new Map<string, string>([
  ["openai", "openai"],
  ["azure-openai", "azure"],
  ["azure", "azure"],
  ["anthropic", "anthropic"],
  ["bedrock", "aws"],
  ["aws-bedrock", "aws"],
  ["amazon-bedrock", "aws"],
  ["aws", "aws"],
  ["gemini", "google"],
  ["vertex", "google"],
  ["vertexai", "google"],
]);

/** The genai-prices provider id to price a call of `provider` with. */
export function toPriceProviderId(provider: string): string {
  // The common case, a name as listed (the keys are trimmed and lower-case): no new string per call.
  const listed = PROVIDER_IDS.get(provider);
  if (listed !== undefined) return listed;
  const key = provider.trim().toLowerCase();
  return PROVIDER_IDS.get(key) ?? key;
}

/**
 * The model name to look up. Bedrock accepts full ARNs as model ids; the table knows the part after the
 * last "/" (foundation model or system inference profile id). Application inference profile ARNs end in an
 * opaque id and stay unpriced: those callers need `priceAsResource`.
 */
export function toPriceModelName(providerId: string, model: string): string {
  if (providerId === "aws" && model.startsWith("arn:")) {
    const slash = model.lastIndexOf("/");
    if (slash >= 0) return model.slice(slash + 1);
  }
  return model;
}
