import { log } from "../log.js";

const ORIGINAL = Symbol.for("costtrail.original");

type Method = (this: any, ...args: any[]) => any;

/** The object in `proto`'s chain that owns `key`, so we patch the class that defines the method. */
export function ownerOf(proto: object | undefined, key: string): object | undefined {
  let cursor: object | null | undefined = proto;
  while (cursor && cursor !== Object.prototype) {
    if (Object.hasOwn(cursor, key)) return cursor;
    cursor = Object.getPrototypeOf(cursor);
  }
  return undefined;
}

/**
 * Replaces `owner[key]` with `wrap(original)`, once: a method that is already ours is left alone, so a
 * second `instrument()` or two paths to one class never double-patch. Returns the undo, or undefined.
 */
export function patchMethod(owner: object | undefined, key: string, wrap: (original: Method) => Method) {
  if (!owner) return undefined;
  const current = (owner as Record<string, unknown>)[key];
  if (typeof current !== "function" || (current as any)[ORIGINAL]) return undefined;
  const original = current as Method;
  const patched = wrap(original);
  Object.defineProperty(patched, ORIGINAL, { value: original });
  Object.defineProperty(patched, "name", { value: original.name });
  Object.defineProperty(patched, "length", { value: original.length });
  const descriptor = Object.getOwnPropertyDescriptor(owner, key)!;
  Object.defineProperty(owner, key, { ...descriptor, value: patched });
  return () => {
    if ((owner as Record<string, unknown>)[key] === patched) Object.defineProperty(owner, key, descriptor);
  };
}

/**
 * `patchMethod` for one piece of an SDK's surface: a piece this SDK version does not have is skipped with a
 * one-time warning (its calls go untracked, the user's calls are untouched) instead of silently.
 */
export function patchPiece(
  label: string,
  owner: object | undefined,
  key: string,
  wrap: (original: Method) => Method,
) {
  if (typeof (owner as Record<string, unknown> | undefined)?.[key] !== "function") {
    log.warnOnce(`sdk-shape:${label}`, `${label} was not found in this SDK version; it is not instrumented`);
    return undefined;
  }
  return patchMethod(owner, key, wrap);
}
