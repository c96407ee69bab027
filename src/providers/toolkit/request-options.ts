// A Stainless request's resolved options as costtrail reads them: its headers and its path.

/**
 * Request headers as a resource method hands them on: the user's object, or the SDK's `buildHeaders()` result
 * (`{ values: Headers, nulls }`, what Anthropic's messages methods pass), read through its `values`.
 */
export function sdkHeaders(headers: any): unknown {
  return headers &&
    typeof headers === "object" &&
    typeof headers.values?.forEach === "function" &&
    headers.nulls
    ? headers.values
    : headers;
}

/** Paths normalised so far: a client sends the same few paths again and again. Bounded (paths may carry ids). */
const normalised = new Map<string, string | undefined>();
const MAX_NORMALISED = 256;

/** `/v1/messages?beta=true`, `v1/messages`, `https://host/v1/messages` → `/v1/messages` as the table has it. */
export function normalisePath(path: unknown): string | undefined {
  if (typeof path !== "string") return undefined;
  const known = normalised.get(path);
  if (known !== undefined || normalised.has(path)) return known;
  const key = normaliseNew(path);
  if (normalised.size >= MAX_NORMALISED) normalised.clear();
  normalised.set(path, key);
  return key;
}

function normaliseNew(path: string): string | undefined {
  let p = path;
  const query = p.search(/[?#]/);
  if (query >= 0) p = p.slice(0, query);
  if (/^[a-z]+:\/\//i.test(p)) return undefined; // an absolute URL: not the client's own API
  return p.startsWith("/") ? p : `/${p}`;
}
