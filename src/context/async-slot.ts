import { enterSlot, runInSlot, slotValue } from "./scope-tree.js";

/**
 * A value that follows one async flow (the request or call being made). The only way code outside
 * `src/context` reaches Node's AsyncLocalStorage: it can run a function with a value and read it back, nothing
 * more (no `disable`, no `exit`), so the flows of one process never see each other's values. Every slot lives on
 * the scope tree's one storage (scope-tree.ts), beside the active scope, which a slot leaves as it is.
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
  const key = {};
  return {
    get: () => slotValue(key) as T | undefined,
    run: (value, fn, thisArg, args) => runInSlot(key, value, fn, thisArg, args),
    enter: (value) => enterSlot(key, value),
  };
}
