import type { Call } from "./call.js";
import { finishCall } from "./finish.js";

/**
 * Calls whose stream object the user dropped without reading or closing it: once the garbage collector takes
 * that object, nobody can ever read the stream, so the call ends as `aborted` / `Abandoned`, like the reaper
 * would end it later — its reservation released (or settled with what it is known to have cost) at once
 * (docs/limits.md, "Calls nobody finishes"). The registry holds the call, never the stream.
 */
const registry = new FinalizationRegistry<Call>((call) => {
  if (!call.done) finishCall(call, "aborted", "Abandoned");
});

/**
 * Ends `call` when `target` (a stream, an iterator the user took from it, or the body being read) is
 * garbage-collected first.
 */
export function finishWhenCollected(target: object, call: Call): void {
  if (call.done) return;
  registry.register(target, call, call);
}

/** What was watched for `call` is in use again (its iterator or body is being read): its collection no longer ends it. */
export function stopWatching(call: Call): void {
  registry.unregister(call);
}
