/** ≈ 4 characters per token: good enough to bound a reservation or estimate an aborted stream. */
export function estimateTokensOfText(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Keys whose values are binary payloads (images, audio, documents), not text tokens: not counted here. */
const BINARY_KEYS = new Set(["data", "bytes", "image_url", "url"]);

/**
 * The one text counter: characters of every string reachable in a request value (messages, parts, input,
 * system…), skipping binary content (base64 `data`, Bedrock `bytes`, image URLs, typed arrays).
 */
export function textLength(value: unknown, depth = 0): number {
  if (typeof value === "string") return value.length;
  if (depth > 8 || !value || typeof value !== "object" || ArrayBuffer.isView(value)) return 0;
  let total = 0;
  if (Array.isArray(value)) for (const item of value) total += textLength(item, depth + 1);
  else
    for (const key of Object.keys(value)) {
      if (!BINARY_KEYS.has(key)) total += textLength((value as Record<string, unknown>)[key], depth + 1);
    }
  return total;
}

/** Estimated input tokens of request parts, plus `perMessage` tokens of framing per message. */
export function estimateInput(parts: readonly unknown[], messages: unknown, perMessage = 0): number {
  let chars = 0;
  for (const part of parts) chars += textLength(part);
  return estimateTokensOfText(chars) + perMessage * (Array.isArray(messages) ? messages.length : 0);
}
