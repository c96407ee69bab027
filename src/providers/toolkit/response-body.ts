// A fetch Response whose body is observed in place: the Response keeps its identity; only its `body` and the
// readers built on it are given the observed stream (docs/providers.md "Streams").

const READERS = ["text", "json", "arrayBuffer", "blob", "bytes"] as const;

/**
 * Makes `body()` the Response's body: the `body` property, and `text()`, `json()`… (which read the internal body,
 * not the property) read what it returns. `body()` is called at the first read and must return the same stream
 * each time.
 */
export function replaceResponseBody(response: any, body: () => ReadableStream<Uint8Array>): void {
  Object.defineProperty(response, "body", { configurable: true, get: body });
  const proto = Object.getPrototypeOf(response);
  for (const key of READERS) {
    const read = proto?.[key];
    if (typeof read !== "function") continue;
    Object.defineProperty(response, key, {
      configurable: true,
      writable: true,
      value: function (this: any) {
        return Reflect.apply(read, new Response(body(), { headers: this.headers }), []);
      },
    });
  }
}
