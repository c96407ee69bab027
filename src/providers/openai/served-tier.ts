/**
 * The tier an OpenAI response says served it (`service_tier` on the response, a chunk or a Responses object):
 * "flex", "priority", "scale"; undefined for the standard tier ("default"), which is what an absent
 * `serviceTier` means. Requests may say "auto"; only the response's word is priced.
 */
export function servedTier(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" && value !== "auto" && value !== "default"
    ? value
    : undefined;
}
