import { AsyncLocalStorage } from "node:async_hooks";
import { MAX_MERGED_LIST, MAX_MERGED_MAP_KEYS } from "../annotations/keys.js";
import { AnnotationMerger, EMPTY_ANNOTATIONS, mergedSize, scopeGrowth } from "../annotations/merge.js";
import type { Annotations, ScopeAnnotations } from "../types.js";
import { newId } from "./ids.js";

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

/** Scopes travel on one AsyncLocalStorage, private to this module, so concurrent flows never see each other's annotations. */
const storage = new AsyncLocalStorage<ScopeNode>();

/**
 * The process-wide root scope: `defaults`, under every scope. With `globalInstrumentation: true` it also holds
 * the entry script's use case and is active outside any scope; with it off, it is only the outermost layer of
 * each scope tree, and nothing is active outside a scope (docs/concepts.md "Global vs per-request").
 */
let root: ScopeNode | undefined;
/** The root, when it is also active outside any scope. */
let rootOutside: ScopeNode | undefined;

export function setRootScope(scope: ScopeAnnotations | undefined, activeOutsideScopes = true): void {
  root = scope ? childNode(undefined, scope) : undefined;
  rootOutside = activeOutsideScopes ? root : undefined;
}

export function activeNode(): ScopeNode | undefined {
  return storage.getStore() ?? rootOutside;
}

/**
 * Runs `fn` in a scope that writes nothing: as it is inside another scope, else (`globalInstrumentation: false`)
 * inside the defaults layer, which every scope has outermost.
 */
export function runInEmptyScope<R>(fn: () => R): R {
  if (!root || rootOutside || storage.getStore()) return fn();
  return storage.run(root, fn);
}

/**
 * A new scope under the active one (not entered yet). `growth` is `scopeGrowth(scope)`, computed once where the
 * scope is parsed. Throws `AnnotationError` when the merged lists or maps would pass their caps.
 */
export function openNode(scope: ScopeAnnotations, growth: number): ScopeNode {
  const parent = storage.getStore() ?? root;
  const bound = (parent ? parent.bound : 0) + growth;
  const node: ScopeNode = { parent, scope, resolved: undefined, bound, instanceId: undefined };
  if (bound > SAFE_BOUND) checkCaps(node);
  return node;
}

/** A new scope under `parent` (not entered yet). Throws `AnnotationError` past the caps, like `openNode`. */
export function childNode(parent: ScopeNode | undefined, scope: ScopeAnnotations): ScopeNode {
  const bound = (parent ? parent.bound : 0) + scopeGrowth(scope);
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
 * ours between a tracked function and its caller, so deep recursion under `@track` stays deep.
 */
export const runInNode: <R, A extends unknown[]>(node: ScopeNode, fn: (...args: A) => R, ...args: A) => R =
  storage.run.bind(storage);

/**
 * Enters `node` for the rest of the current synchronous execution and everything it schedules (what LangChain's
 * handler needs: it runs inside the model call's continuation, see src/providers/langchain/index.ts).
 */
export function enterNode(node: ScopeNode): void {
  storage.enterWith(node);
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
