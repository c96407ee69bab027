import { type Call, callOnThisPath } from "../../calls/index.js";
import { log } from "../../log.js";

export const HEADERS_MIDDLEWARE = "costtrailBedrockUsageHeaders";

/** The token-count headers of the last attempt, by call (Bedrock's own counts, when a body has none). */
export const headerCounts = new WeakMap<Call, Record<string, string>>();

/**
 * A deserialize-step middleware, so it runs once per attempt and sees the raw HTTP response, whose headers
 * the SDK does not otherwise expose. It finds its call on its async path, so a handler the SDK caches
 * (`cacheMiddleware: true`) still reports to the right call.
 */
export function captureHeaders(next: (args: any) => Promise<any>) {
  return async (args: any) => {
    const result = await next(args);
    try {
      const call = callOnThisPath();
      const headers = result?.response?.headers;
      if (call && headers && typeof headers === "object") {
        const picked: Record<string, string> = {};
        for (const [name, value] of Object.entries(headers)) {
          const lower = name.toLowerCase();
          if (lower.startsWith("x-amzn-bedrock-") && lower.endsWith("-count")) picked[lower] = String(value);
        }
        headerCounts.set(call, picked);
      }
    } catch (error) {
      log.internalFailure("bedrock-headers", error);
    }
    return result;
  };
}
