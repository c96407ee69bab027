/** ≈ 4 characters per token: good enough to bound a reservation or estimate an aborted stream. */
export function estimateTokensOfText(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Counts the characters of every string reachable in a request value (messages, parts, input…). */
export function textLength(value: unknown, depth = 0): number {
  if (typeof value === "string") return value.length;
  if (depth > 8 || !value || typeof value !== "object") return 0;
  let total = 0;
  if (Array.isArray(value)) for (const item of value) total += textLength(item, depth + 1);
  else
    for (const [key, item] of Object.entries(value)) {
      // Binary payloads (images, audio) are not text tokens; their cost is not estimated here.
      if (key !== "data" && key !== "image_url" && key !== "url") total += textLength(item, depth + 1);
    }
  return total;
}
