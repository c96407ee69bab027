import { AsyncLocalStorage } from "node:async_hooks";

/**
 * A value that follows one async flow (a scope, the call being made). The only way code outside
 * `src/context` reaches Node's AsyncLocalStorage: it can run a function with a value and read it back, nothing
 * more (no `disable`, no `exit`), so the flows of one process never see each other's values.
 */
export interface AsyncSlot<T> {
  /** The value on this async path, if any. */
  get(): T | undefined;
  /** Calls `fn` with `thisArg` and `args` (array-like, e.g. `arguments`) with `value` on its async path. */
  run<R>(value: T, fn: (...args: any[]) => R, thisArg: unknown, args: ArrayLike<unknown>): R;
  /** Puts `value` on the rest of the current synchronous execution and what it schedules. */
  enter(value: T): void;
}

export function asyncSlot<T>(): AsyncSlot<T> {
  const storage = new AsyncLocalStorage<T>();
  return {
    get: () => storage.getStore(),
    run: (value, fn, thisArg, args) => storage.run(value, Reflect.apply, fn, thisArg, args),
    enter: (value) => storage.enterWith(value),
  };
}
