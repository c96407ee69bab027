/** What a provider's admin API says about one (UTC day, model, project), normalised across providers. */
export interface ProviderLine {
  /** UTC day, "YYYY-MM-DD". */
  day: string;
  /** Model as the provider names it; for a charge without tokens (code execution, web search), its description. */
  model: string;
  /** OpenAI project / Anthropic workspace; null when not grouped by project (or the default workspace). */
  project: string | null;
  costNanos: number;
  /** null when the provider does not report request counts (Anthropic). */
  requests: number | null;
  /** Inclusive of cache reads and writes, like the ledger's. */
  inputTokens: number;
  outputTokens: number;
  /** True for a cost line whose "model" is a non-token charge. */
  charge: boolean;
}

export type ReconcileProvider = "openai" | "anthropic";

export interface FetchWindow {
  startMs: number;
  endMs: number;
  byProject: boolean;
}

/** UTC day of an epoch-ms instant. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function emptyLine(day: string, model: string, project: string | null, charge = false): ProviderLine {
  return { day, model, project, costNanos: 0, requests: null, inputTokens: 0, outputTokens: 0, charge };
}
