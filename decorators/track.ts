import { isEmptyScope, parseScopeAnnotations } from "../src/annotations/schema.js";
import { AnnotationError } from "../src/errors.js";
import type { ScopeAnnotations } from "../src/types.js";
import { wrapInScope } from "./wrap.js";

export type TrackOptions = ScopeAnnotations;

type AnyFunction = (this: any, ...args: any[]) => any;

/** Usable as a TC39 method decorator and as a legacy (`experimentalDecorators`) method decorator. */
export interface TrackDecorator {
  <F extends AnyFunction>(value: F, context: ClassMethodDecoratorContext<any, F>): F;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * Attaches annotations to everything beneath a method or function.
 * - `@track({...})` on a class method (TC39 standard decorators, or legacy `experimentalDecorators`);
 * - `track({...}, fn)` returns the wrapped function.
 * Annotations are validated here, at decoration time. An empty `track()` inherits everything.
 */
export function track(options?: TrackOptions): TrackDecorator;
export function track<F extends AnyFunction>(options: TrackOptions, fn: F): F;
export function track(options: TrackOptions = {}, fn?: AnyFunction): TrackDecorator | AnyFunction {
  const scope = parseScopeAnnotations(options, "track()");
  const empty = isEmptyScope(scope);
  const wrap = <F extends AnyFunction>(target: F): F => (empty ? target : wrapInScope(target, scope));
  if (fn !== undefined) {
    if (typeof fn !== "function")
      throw new AnnotationError("fn", "costtrail: track(options, fn) needs a function");
    return wrap(fn);
  }
  return function decorate(value: unknown, context: unknown, descriptor?: PropertyDescriptor) {
    if (descriptor !== undefined || typeof context === "string" || typeof context === "symbol") {
      // Legacy decorator: (prototype or constructor, key, descriptor). Replacing `value` keeps the key's
      // `design:*` metadata, which lives on (target, key), and wrapInScope copies the method's own metadata.
      if (!descriptor || typeof descriptor.value !== "function") {
        throw new AnnotationError(
          "track",
          `costtrail: @track can only decorate methods (${String(context)})`,
        );
      }
      return { ...descriptor, value: wrap(descriptor.value) };
    }
    const ctx = context as DecoratorContext | undefined;
    if (ctx?.kind !== "method" || typeof value !== "function") {
      throw new AnnotationError(
        "track",
        `costtrail: @track can only decorate methods, not ${ctx?.kind ?? "this"}`,
      );
    }
    return wrap(value as AnyFunction);
  } as TrackDecorator;
}
