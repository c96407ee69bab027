import { AsyncLocalStorage } from "node:async_hooks";
import { applyScope, EMPTY_ANNOTATIONS } from "../annotations/merge.js";
import type { Annotations, ScopeAnnotations } from "../types.js";
import { newId } from "./ids.js";

/**
 * One scope of the context tree. Resolution is lazy and cached: opening a scope costs one allocation, and a
 * new use-case instance id is only minted when somebody asks for the annotations (same result: the node, and
 * so its invocation, owns the id either way).
 */
export interface ScopeNode {
  readonly parent: ScopeNode | undefined;
  readonly scope: ScopeAnnotations;
  resolved: Annotations | undefined;
}

/** Scopes travel on one AsyncLocalStorage, private to this module, so concurrent flows never see each other's annotations. */
const storage = new AsyncLocalStorage<ScopeNode>();

/** The process-wide root scope of `globalInstrumentation: true`; undefined otherwise. */
let root: ScopeNode | undefined;

export function setRootScope(scope: ScopeAnnotations | undefined): void {
  root = scope ? { parent: undefined, scope, resolved: undefined } : undefined;
}

export function activeNode(): ScopeNode | undefined {
  return storage.getStore() ?? root;
}

/** A new scope under the active one (not entered yet). */
export function openNode(scope: ScopeAnnotations): ScopeNode {
  return { parent: storage.getStore() ?? root, scope, resolved: undefined };
}

/** A new scope under `parent` (not entered yet). */
export function childNode(parent: ScopeNode | undefined, scope: ScopeAnnotations): ScopeNode {
  return { parent, scope, resolved: undefined };
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
  let acc = cursor?.resolved ?? EMPTY_ANNOTATIONS;
  for (let i = chain.length - 1; i >= 0; i--) {
    const n = chain[i]!;
    acc = applyScope(acc, n.scope, newId);
    n.resolved = acc;
  }
  return acc;
}

/** The annotations resolved at this point of the code flow (frozen; `useCaseId` filled for instances). */
export function currentAnnotations(): Annotations {
  return resolveNode(activeNode());
}

/** Resolves the current annotations with more, innermost scopes on top (a client's and a request's headers). */
export function resolveWith(scopes: readonly ScopeAnnotations[]): Annotations {
  let acc = currentAnnotations();
  for (const scope of scopes) acc = applyScope(acc, scope, newId);
  return acc;
}
