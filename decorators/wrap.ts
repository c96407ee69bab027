import { scopeGrowth } from "../src/annotations/merge.js";
import { applyInNewNode, openNode, runInNode, type ScopeNode } from "../src/context/scope-tree.js";
import type { ScopeAnnotations } from "../src/types.js";

type AnyFunction = (this: unknown, ...args: any[]) => unknown;

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor;

/**
 * Wraps `fn` so every invocation runs in a new scope. Sync stays sync and async returns the same promise
 * (the callee runs inside its scope, and promise continuations inherit the scope); a generator's every
 * step — `next`, `return`, `throw` — runs inside the invocation's scope.
 */
export function wrapInScope<F extends AnyFunction>(fn: F, scope: ScopeAnnotations): F {
  const isGenerator = fn instanceof GeneratorFunction || fn instanceof AsyncGeneratorFunction;
  const growth = scopeGrowth(scope);
  const wrapped = isGenerator
    ? function (this: unknown) {
        const node = openNode(scope, growth);
        // biome-ignore lint/complexity/noArguments: forwarded as-is, no rest array on the hot path
        const iterator = runInNode(node, Reflect.apply, fn, this, arguments) as Iterator<unknown>;
        return bindIterator(iterator, node);
      }
    : function (this: unknown, ...args: unknown[]) {
        // A rest array measured cheaper than forwarding `arguments` here (bench: a wrapper A/B, docs/benchmarks.md).
        return applyInNewNode(scope, growth, fn, this, args);
      };
  copyIdentity(fn, wrapped);
  return wrapped as unknown as F;
}

/** Same prototype as the real generator object (so `instanceof` and helpers hold), steps run in the scope. */
function bindIterator(iterator: any, node: ScopeNode): unknown {
  const bound = Object.create(Object.getPrototypeOf(iterator));
  for (const method of ["next", "return", "throw"]) {
    Object.defineProperty(bound, method, {
      configurable: true,
      writable: true,
      value: function () {
        // biome-ignore lint/complexity/noArguments: forwards "no argument" as exactly that
        return runInNode(node, Reflect.apply, iterator[method], iterator, arguments);
      },
    });
  }
  return bound;
}

/** Keep what callers and frameworks read off a function: name, length, kind (via prototype), own props. */
function copyIdentity(from: Function, to: Function): void {
  Object.setPrototypeOf(to, Object.getPrototypeOf(from));
  for (const key of Reflect.ownKeys(from)) {
    if (key === "prototype" || key === "arguments" || key === "caller") continue;
    const descriptor = Object.getOwnPropertyDescriptor(from, key);
    if (descriptor) Object.defineProperty(to, key, descriptor);
  }
  copyReflectMetadata(from, to);
}

/** NestJS and friends keep route and DI metadata on the method itself via reflect-metadata, when loaded. */
export function copyReflectMetadata(from: object, to: object): void {
  const R = Reflect as unknown as {
    getOwnMetadataKeys?: (target: object) => unknown[];
    getOwnMetadata?: (key: unknown, target: object) => unknown;
    defineMetadata?: (key: unknown, value: unknown, target: object) => void;
  };
  if (!R.getOwnMetadataKeys || !R.getOwnMetadata || !R.defineMetadata) return;
  for (const key of R.getOwnMetadataKeys(from)) R.defineMetadata(key, R.getOwnMetadata(key, from), to);
}
