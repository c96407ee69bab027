import { log } from "../../log.js";

const ORIGINAL = Symbol.for("costtrail.original");

type Method = (this: any, ...args: any[]) => any;
export type Undo = (() => void) | undefined;

/** The object in `proto`'s chain that owns `key`, so we patch the class that defines the method. */
export function ownerOf(proto: object | undefined, key: string): object | undefined {
  let cursor: object | null | undefined = proto;
  while (cursor && cursor !== Object.prototype) {
    if (Object.hasOwn(cursor, key)) return cursor;
    cursor = Object.getPrototypeOf(cursor);
  }
  return undefined;
}

/** Is this function one of costtrail's wrappers? */
export function isPatched(fn: unknown): boolean {
  return typeof fn === "function" && (fn as unknown as Record<symbol, unknown>)[ORIGINAL] !== undefined;
}

/**
 * The one patch primitive. Replaces `proto[key]` with `wrap(original)` — on the object of `proto`'s chain that
 * defines it (`at: "owner"`, the default), or on `proto` itself (`at: "here"`: a method inherited from a base
 * class shared with other SDKs, such as Smithy's `Client.send`, is given to this class alone and delegates, at
 * call time, to whatever the base's method then is). Idempotent: a method that is already ours is left alone,
 * so a second `instrument()` or two paths to one class never double-patch. The undo restores exactly what was
 * there, and only while the method is still ours. A method this SDK version lacks is skipped with one warning
 * (its calls go untracked, the user's calls are untouched).
 */
export function patchMethod(
  label: string,
  proto: object | undefined,
  key: string,
  wrap: (original: Method) => Method,
  at: "owner" | "here" = "owner",
): Undo {
  const current = (proto as Record<string, unknown> | undefined)?.[key];
  if (!proto || typeof current !== "function") {
    log.warnOnce(`sdk-shape:${label}`, `${label} was not found in this SDK version; it is not instrumented`);
    return undefined;
  }
  if (isPatched(current)) return undefined;
  const owner = at === "here" ? proto : ownerOf(proto, key)!;
  const own = Object.getOwnPropertyDescriptor(owner, key);
  const base = Object.getPrototypeOf(owner);
  const original: Method = own
    ? (current as Method)
    : function (this: unknown) {
        // biome-ignore lint/complexity/noArguments: forwarded exactly as the caller made it
        return Reflect.apply(base[key], this, arguments);
      };
  const patched = wrap(original);
  Object.defineProperty(patched, ORIGINAL, { value: current });
  Object.defineProperty(patched, "name", { value: (current as Method).name });
  Object.defineProperty(patched, "length", { value: (current as Method).length });
  Object.defineProperty(owner, key, {
    configurable: true,
    writable: true,
    enumerable: own?.enumerable ?? false,
    value: patched,
  });
  return () => {
    if (Object.getOwnPropertyDescriptor(owner, key)?.value !== patched) return;
    if (own) Object.defineProperty(owner, key, own);
    else delete (owner as Record<string, unknown>)[key];
  };
}
