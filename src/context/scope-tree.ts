import { AsyncLocalStorage, executionAsyncResource } from "node:async_hooks";
import { MAX_MERGED_LIST, MAX_MERGED_MAP_KEYS } from "../annotations/keys.js";
import { AnnotationMerger, EMPTY_ANNOTATIONS, mergedSize, scopeGrowth } from "../annotations/merge.js";
import type { Annotations, ScopeAnnotations } from "../types.js";
import { newId } from "./ids.js";
import { resourceStoreKey } from "./resource-store.js";

/**
 * One scope of the context tree. Entering a scope only links it to its parent (one allocation); resolution is
 * lazy: a call that needs the annotations walks the chain once, up to the nearest resolved ancestor, and caches
 * the result on its node. A use-case instance id is minted once per node, the first time a resolution passes
 * through it (the node, and so its invocation, owns the id).
 */
export interface ScopeNode {
  readonly parent: ScopeNode | undefined;
  readonly scope: ScopeAnnotations;
  resolved: Annotations | undefined;
  /** Upper bound of the list entries and map keys merged at this node (see `openNode`). */
  bound: number;
  /** The instance this scope starts, once minted. */
  instanceId: string | undefined;
}

/** Below this bound no merged list or map can pass its cap, so entering a scope needs no check. */
const SAFE_BOUND = Math.min(MAX_MERGED_LIST, MAX_MERGED_MAP_KEYS);

/**
 * A value of an async slot (async-slot.ts) on the scope storage: the scope active where the value was set, the
 * slot's key and value, and the slot values set further out on the same path.
 */
export class SlotFrame {
  constructor(
    readonly scope: ScopeNode | undefined,
    readonly key: object,
    readonly value: unknown,
    readonly outer: SlotFrame | undefined,
  ) {}
}

/**
 * costtrail's only AsyncLocalStorage, private to this module: scopes travel on it, so concurrent flows never see
 * each other's annotations, and so do the async slots (the request or call being made). One storage, not one per
 * use: on Node 20 each enabled AsyncLocalStorage is copied onto every promise the app creates, and a second one
 * makes every copy slower (docs/benchmarks.md "One AsyncLocalStorage").
 */
const storage = new AsyncLocalStorage<ScopeNode | SlotFrame>();

/** The scope a stored value stands for: the node itself, or the scope a slot value was set in. */
function nodeOf(store: ScopeNode | SlotFrame | undefined): ScopeNode | undefined {
  // A scope node has a `bound`, a slot frame none: one property load (entering a scope reads this every time).
  return store === undefined || (store as ScopeNode).bound !== undefined
    ? (store as ScopeNode | undefined)
    : (store as SlotFrame).scope;
}

/** The scope on this path. */
function storedNode(): ScopeNode | undefined {
  return nodeOf(storage.getStore());
}

/** The slot values on this path, innermost first. */
function storedFrame(): SlotFrame | undefined {
  const store = storage.getStore();
  return store instanceof SlotFrame ? store : undefined;
}

/** The value of slot `key` on this path. */
export function slotValue(key: object): unknown {
  for (let frame = storedFrame(); frame; frame = frame.outer) if (frame.key === key) return frame.value;
  return undefined;
}

/** Runs `fn` with `thisArg` and `args` with slot `key` set to `value` on its async path (the scope unchanged). */
export function runInSlot<R>(
  key: object,
  value: unknown,
  fn: (...args: any[]) => R,
  thisArg: unknown,
  args: ArrayLike<unknown>,
): R {
  const k = resourceKey();
  if (k === null)
    return storage.run(slotFrame(storage.getStore(), key, value), Reflect.apply, fn, thisArg, args);
  const resource = executionAsyncResource() as Resource;
  const outer = resource[k];
  resource[k] = slotFrame(outer, key, value);
  try {
    return Reflect.apply(fn, thisArg, args);
  } finally {
    resource[k] = outer;
  }
}

/** Slot `key` set to `value` over what is stored: the slot values further out stay reachable through it. */
function slotFrame(store: ScopeNode | SlotFrame | undefined, key: object, value: unknown): SlotFrame {
  return store instanceof SlotFrame
    ? new SlotFrame(store.scope, key, value, store)
    : new SlotFrame(store, key, value, undefined);
}

/** Sets slot `key` to `value` for the rest of the current synchronous execution and what it schedules. */
export function enterSlot(key: object, value: unknown): void {
  storage.enterWith(slotFrame(storage.getStore(), key, value));
}

/** What to store to make `node` the scope here: the node itself, or the slot values on this path over it. */
function storeFor(node: ScopeNode): ScopeNode | SlotFrame {
  const frame = storedFrame();
  return frame ? new SlotFrame(node, frame.key, frame.value, frame.outer) : node;
}

/**
 * The process-wide root scope: `defaults`, under every scope. With `globalInstrumentation: true` it also holds
 * the entry script's use case and is active outside any scope; with it off, it is only the outermost layer of
 * each scope tree, and nothing is active outside a scope (docs/concepts.md "Global vs per-request").
 */
let root: ScopeNode | undefined;
/** The root, when it is also active outside any scope. */
let rootOutside: ScopeNode | undefined;

export function setRootScope(scope: ScopeAnnotations | undefined, activeOutsideScopes = true): void {
  root = scope ? linked(undefined, scope, scopeGrowth(scope)) : undefined;
  rootOutside = activeOutsideScopes ? root : undefined;
}

export function activeNode(): ScopeNode | undefined {
  return storedNode() ?? rootOutside;
}

/**
 * Runs `fn` in a scope that writes nothing: as it is inside another scope, else (`globalInstrumentation: false`)
 * inside the defaults layer, which every scope has outermost.
 */
export function runInEmptyScope<R>(fn: () => R): R {
  if (!root || rootOutside || storedNode()) return fn();
  return storage.run(storeFor(root), fn);
}

/**
 * A new scope under the active one (not entered yet). `growth` is `scopeGrowth(scope)`, computed once where the
 * scope is parsed. Throws `AnnotationError` when the merged lists or maps would pass their caps.
 */
export function openNode(scope: ScopeAnnotations, growth: number): ScopeNode {
  return nodeUnder(storage.getStore(), scope, growth);
}

/** A new scope under the one `store` stands for, or under the root when there is none: `openNode`'s rule. */
function nodeUnder(
  store: ScopeNode | SlotFrame | undefined,
  scope: ScopeAnnotations,
  growth: number,
): ScopeNode {
  return linked(nodeOf(store) ?? root, scope, growth);
}

/**
 * A new scope under `parent`, or under the root (the `defaults` layer) when it has none; not entered yet.
 * Throws `AnnotationError` past the caps, like `openNode`.
 */
export function childNode(parent: ScopeNode | undefined, scope: ScopeAnnotations): ScopeNode {
  return linked(parent ?? root, scope, scopeGrowth(scope));
}

function linked(parent: ScopeNode | undefined, scope: ScopeAnnotations, growth: number): ScopeNode {
  const bound = (parent ? parent.bound : 0) + growth;
  const node: ScopeNode = { parent, scope, resolved: undefined, bound, instanceId: undefined };
  if (bound > SAFE_BOUND) checkCaps(node);
  return node;
}

/**
 * The bound says the caps might be passed: resolve now, which throws `AnnotationError` if they are, and
 * replace the bound by the exact size (so the next check is another SAFE_BOUND entries away: O(1) amortized).
 */
function checkCaps(node: ScopeNode): void {
  node.bound = mergedSize(resolveNode(node));
}

/**
 * Calls `fn(...args)` inside `node` and returns what it returns. The storage's own `run`, bound: no frame of
 * ours between a tracked function and its caller, so deep recursion under `@track` stays deep. Inside it, the
 * slot values of the path it was entered from are not seen: a scope is entered by the app's code, and the
 * slots are for the SDK's own work on one request (src/context/README.md).
 */
export const runInNode: <R, A extends unknown[]>(node: ScopeNode, fn: (...args: A) => R, ...args: A) => R =
  storage.run.bind(storage);

/**
 * The storage's key on the async resource (resource-store.ts), found at the first scope entry; `null` where the
 * storage's own `run` must be used.
 */
let storeKey: symbol | null | undefined;

/** The current async resource, seen as where the storage's value is kept (resource-store.ts). */
type Resource = Record<symbol, ScopeNode | SlotFrame | undefined>;

function resourceKey(): symbol | null {
  if (storeKey === undefined) storeKey = resourceStoreKey(storage) ?? null;
  return storeKey;
}

/**
 * `fn()` in a new scope under the active one: `trackContext`'s entry (`openNode` + `runInNode` in one). The store
 * is read once, as the new node's parent and as what is put back after, on the resource itself where Node allows
 * (resource-store.ts). Throws `AnnotationError` past the caps before `fn` runs, like `openNode`.
 */
export function runInNewNode<R>(scope: ScopeAnnotations, growth: number, fn: () => R): R {
  const key = resourceKey();
  if (key === null) return storage.run(openNode(scope, growth), fn);
  const resource = executionAsyncResource() as Resource;
  const outer = resource[key];
  resource[key] = nodeUnder(outer, scope, growth);
  // `fn()` itself, not `Reflect.apply` with no arguments: ~20 ns less of a ~70 ns entry (docs/benchmarks.md).
  try {
    return fn();
  } finally {
    resource[key] = outer;
  }
}

/** `fn` applied to `thisArg` and `args` in a new scope under the active one: `track`'s entry, as `runInNewNode`. */
export function applyInNewNode<R>(
  scope: ScopeAnnotations,
  growth: number,
  fn: (...args: any[]) => R,
  thisArg: unknown,
  args: ArrayLike<unknown>,
): R {
  const key = resourceKey();
  if (key === null) return storage.run(openNode(scope, growth), Reflect.apply, fn, thisArg, args) as R;
  const resource = executionAsyncResource() as Resource;
  const outer = resource[key];
  resource[key] = nodeUnder(outer, scope, growth);
  // Written out here, not through a helper: one frame fewer per level of recursion under `@track`.
  try {
    return Reflect.apply(fn, thisArg, args);
  } finally {
    resource[key] = outer;
  }
}

/**
 * Enters `node` for the rest of the current synchronous execution and everything it schedules (what LangChain's
 * handler needs: it runs inside the model call's continuation, see src/providers/langchain/index.ts).
 */
export function enterNode(node: ScopeNode): void {
  storage.enterWith(storeFor(node));
}

export function resolveNode(node: ScopeNode | undefined): Annotations {
  if (!node) return EMPTY_ANNOTATIONS;
  if (node.resolved) return node.resolved;
  // Iterative, so deep recursion under @track cannot overflow the stack here.
  const chain: ScopeNode[] = [];
  let cursor: ScopeNode | undefined = node;
  while (cursor && !cursor.resolved) {
    chain.push(cursor);
    cursor = cursor.parent;
  }
  const merger = new AnnotationMerger(cursor?.resolved ?? EMPTY_ANNOTATIONS);
  for (let i = chain.length - 1; i >= 0; i--) {
    const n = chain[i]!;
    merger.apply(n.scope, () => (n.instanceId ??= newId()));
  }
  const resolved = merger.result();
  node.resolved = resolved;
  return resolved;
}

/** The annotations resolved at this point of the code flow (frozen; `useCaseId` filled for instances). */
export function currentAnnotations(): Annotations {
  return resolveNode(activeNode());
}

/**
 * Resolves the current annotations with more, innermost scopes on top (a client's and a request's headers).
 * Throws `AnnotationError` when a header scope would push a merged list or map past its cap.
 */
export function resolveWith(scopes: readonly ScopeAnnotations[]): Annotations {
  const base = currentAnnotations();
  if (scopes.length === 0) return base;
  const merger = new AnnotationMerger(base);
  for (const scope of scopes) merger.apply(scope, newId);
  return merger.result();
}
