import type { Annotations } from "../types.js";

/** Output tokens reserved for a call that sets no `max_tokens` / `max_output_tokens`. */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4096;

export interface ReserveRequest {
  annotations: Annotations;
  provider: string;
  requestModel: string;
  /** Worst-case cost of the call: estimated input + max output tokens, priced. Integer micro-USD. */
  reserveMicros: number;
}

/** A reservation held for one call until it settles. */
export interface LimitHold {
  /** Replaces the reservation with the real cost; returns the ids of allow limits now exceeded. */
  settle(costMicros: number | null): string[];
}

/**
 * The limits engine as the call path sees it. `reserve` runs before any network I/O: it throws
 * `LimitExceededError` when a block limit would be exceeded, and returns undefined when no limit applies.
 */
export interface LimitGate {
  reserve(request: ReserveRequest): LimitHold | undefined;
  /** Flush/close whatever the gate holds open. */
  close?(): void;
}
