import type { Call } from "./call.js";

/** Calls started and not finished yet: what the reaper sweeps and what `shutdown()` finishes as abandoned. */
export const inflight = new Set<Call>();
