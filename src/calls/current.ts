import { asyncSlot } from "../context/async-slot.js";
import type { Call } from "./call.js";

/** The call being made on this async path: the SDK client's per-attempt hooks find their call through it. */
const calls = asyncSlot<Call>();

/** Calls the SDK's `original` with the call on its async path (everything the SDK does for it inherits it). */
export function runWithCall<R>(
  call: Call,
  original: (...args: any[]) => R,
  thisArg: unknown,
  args: ArrayLike<unknown>,
): R {
  return calls.run(call, original, thisArg, args);
}

/** The call whose SDK work is running now, if any. */
export function callOnThisPath(): Call | undefined {
  return calls.get();
}
