import type { MockOperation, MockProviderName, MockServerToolCalls, MockUsage } from "./types.js";

const FIELDS = [
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "reasoningTokens",
] as const;

const EXTRA_COUNTS = ["cacheWrite1hTokens", "audioInputTokens", "audioOutputTokens"] as const;
const TOOLS = ["webSearch", "webFetch", "codeExecution", "fileSearch"] as const;

const whole = (n: number) => Math.max(0, Math.round(n));

/**
 * Merges an override over the computed usage and makes it representable on the provider's wire:
 * counts become non-negative integers; embeddings report input only; input is raised to at least its parts
 * (cache read + write + audio), output to at least reasoning + audio, 1-hour writes are capped by the writes
 * (all inclusive totals). OpenAI computes no cache writes but may be told some (newer models report
 * `cache_write_tokens`). Billed extras are kept only when non-zero, so plain calls keep the plain shapes.
 */
export function finalUsage(
  _provider: MockProviderName,
  operation: MockOperation,
  computed: MockUsage,
  override: Partial<MockUsage> | undefined,
): MockUsage {
  const usage = { ...computed };
  for (const field of FIELDS) {
    const value = override?.[field];
    if (typeof value === "number" && Number.isFinite(value)) usage[field] = value;
    usage[field] = whole(usage[field]);
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
  for (const field of EXTRA_COUNTS) {
    const value = override?.[field] ?? computed[field];
    const n = typeof value === "number" && Number.isFinite(value) ? whole(value) : 0;
    if (n > 0) usage[field] = n;
    else delete usage[field];
  }
  if (usage.cacheWrite1hTokens !== undefined && usage.cacheWrite1hTokens > usage.cacheWriteTokens)
    usage.cacheWrite1hTokens = usage.cacheWriteTokens;
  if (usage.cacheWrite1hTokens === 0) delete usage.cacheWrite1hTokens;
  const tools = toolCalls(override?.serverToolCalls ?? computed.serverToolCalls);
  if (tools) usage.serverToolCalls = tools;
  else delete usage.serverToolCalls;
  const tier = override?.serviceTier ?? computed.serviceTier;
  if (typeof tier === "string" && tier !== "") usage.serviceTier = tier;
  else delete usage.serviceTier;
  usage.inputTokens = Math.max(
    usage.inputTokens,
    usage.cacheReadTokens + usage.cacheWriteTokens + (usage.audioInputTokens ?? 0),
  );
  usage.outputTokens = Math.max(usage.outputTokens, usage.reasoningTokens + (usage.audioOutputTokens ?? 0));
  return usage;
}

function toolCalls(t: MockServerToolCalls | undefined): MockServerToolCalls | undefined {
  if (!t) return undefined;
  const out: MockServerToolCalls = {};
  for (const kind of TOOLS) {
    const v = t[kind];
    const n = typeof v === "number" && Number.isFinite(v) ? whole(v) : 0;
    if (n > 0) out[kind] = n;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
