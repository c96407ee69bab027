// The page's client of the JSON API, typed by the server's own contract (src/server/api-types.ts).
import type { ApiEndpoints, ApiErrorBody } from "../api-types.js";

export type Endpoint = keyof ApiEndpoints;
export type Params<E extends Endpoint> = ApiEndpoints[E]["params"];
export type Result<E extends Endpoint> = ApiEndpoints[E]["result"];

/**
 * GET `endpoint` (plus `/<tail>`, URL-encoded, for /api/instance) with `params`; empty values are left out.
 * Resolves to the JSON body; rejects with the API's `{ error }` message.
 */
export async function api<E extends Endpoint>(
  endpoint: E,
  params: Params<E>,
  tail?: string,
): Promise<Result<E>> {
  const url = new URL(
    tail === undefined ? endpoint : `${endpoint}/${encodeURIComponent(tail)}`,
    location.origin,
  );
  for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  // The token, when there is one, travels in the cookie the server set.
  const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  if (!response.ok) {
    const message = (body as Partial<ApiErrorBody>).error;
    throw new Error(message ?? `${response.status} ${response.statusText}`);
  }
  return body as Result<E>;
}
