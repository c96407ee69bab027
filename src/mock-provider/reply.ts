import { countTokens, fnv1a, seededRandom } from "./tokens.js";

const WORDS = [
  "the",
  "cost",
  "of",
  "each",
  "call",
  "depends",
  "on",
  "tokens",
  "model",
  "cache",
  "budget",
  "reply",
  "prompt",
  "usage",
  "is",
  "a",
  "small",
  "trail",
  "per",
  "user",
  "request",
  "and",
  "stream",
  "price",
] as const;

/**
 * The deterministic assistant reply for a prompt: 8 to 24 words (8 + h mod 17, h = FNV-1a of the prompt
 * text) drawn from a fixed vocabulary, ending with a full stop. Same prompt, same reply.
 */
export function replyFor(promptText: string): string {
  const seed = fnv1a(promptText);
  const random = seededRandom(seed);
  const count = 8 + (seed % 17);
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(WORDS[Math.floor(random() * WORDS.length)]!);
  const first = words[0]!;
  words[0] = first[0]!.toUpperCase() + first.slice(1);
  return words.join(" ") + ".";
}

/** Cuts `text` so that it counts at most `maxTokens` tokens, as a max-tokens limit would. */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  if (countTokens(text) <= maxTokens) return { text, truncated: false };
  return { text: text.slice(0, Math.max(0, maxTokens) * 4), truncated: true };
}

/** OpenAI models that reason before answering; their reasoning tokens are billed as output. */
export function isReasoningModel(model: string): boolean {
  return /^(o1|o3|o4|gpt-5)/.test(model);
}

/**
 * Reasoning tokens for a reasoning model, by effort: none/minimal 0, low 64, medium (the default) 256,
 * high 1024. Capped by the output-token limit like the real thing.
 */
export function reasoningTokensFor(effort: unknown): number {
  switch (effort) {
    case "none":
    case "minimal":
      return 0;
    case "low":
      return 64;
    case "high":
    case "xhigh":
      return 1024;
    default:
      return 256;
  }
}

/** Splits text into stream deltas of one word each (leading space kept), as token streams look. */
export function splitDeltas(text: string): string[] {
  if (text === "") return [];
  const parts = text.match(/\s*\S+/g) ?? [text];
  const joined = parts.join("");
  // Trailing whitespace is not matched by the pattern; keep it so deltas always re-join to the text.
  if (joined.length < text.length) parts.push(text.slice(joined.length));
  return parts;
}

/** Splits a JSON string into a few pieces, as argument deltas arrive. */
export function splitFixed(text: string, size = 12): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}
