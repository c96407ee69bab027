import { type AsyncLocalStorage, executionAsyncResource } from "node:async_hooks";

/**
 * The key under which `storage` keeps its value on the current async resource, when that is how this Node's
 * AsyncLocalStorage works (Node 20 and 22 by default): `run` writes the value under its `kResourceStore` symbol,
 * calls, and writes the old value back; the async hook copies it onto each resource created meanwhile. Entering a
 * scope by writing it directly does the same with one read of the store instead of two and no rest arguments
 * (docs/benchmarks.md "Scope entry, session 6"). Taken only when a probe shows that writing the key is what `run`
 * does and what `getStore` reads; otherwise (AsyncContextFrame, any change to the internals) undefined, and
 * callers use `run`. Probing enables the storage, so it is done at the first scope entry, not at import.
 */
export function resourceStoreKey(storage: AsyncLocalStorage<unknown>): symbol | undefined {
  try {
    const key: unknown = (storage as unknown as { kResourceStore?: unknown }).kResourceStore;
    if (typeof key !== "symbol") return undefined;
    const probe = {};
    let written: unknown;
    storage.run(probe, () => {
      written = (executionAsyncResource() as Record<symbol, unknown>)[key];
    });
    if (written !== probe) return undefined;
    const resource = executionAsyncResource() as Record<symbol, unknown>;
    const outer = resource[key];
    const other = {};
    resource[key] = other;
    const read = storage.getStore();
    resource[key] = outer;
    return read === other && storage.getStore() === outer ? key : undefined;
  } catch {
    return undefined;
  }
}
