import type { Annotations } from "../types.js";

/** Output tokens reserved for a call that sets no `max_tokens` / `max_output_tokens`. */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4096;

/**
 * The longest a reservation counts by default, renewed or not: 5 minutes, shorter than the abandoned-call
 * timeout, so a stream nobody reads stops holding its limit's budget long before it is reaped
 * (`instrument({ reservationMaxAgeMs })`, docs/limits.md, "Reservations are leases").
 */
export const DEFAULT_RESERVATION_MAX_AGE_MS = 5 * 60_000;

export interface ReserveRequest {
  annotations: Annotations;
  provider: string;
  requestModel: string;
  /** Worst-case cost of the call: estimated input + max output tokens, priced. Integer micro-USD. */
  reserveMicros: number;
  /** The same worst case in exact integer nano-USD, when the pricer gave it (gates that count nano-USD use it). */
  reserveNanos?: number | undefined;
}

/**
 * The limits engine as the call path sees it (src/calls/admission.ts). `reserve` runs before any network I/O of
 * the call; a synchronous answer keeps the call path free of promises.
 */
export interface LimitGate {
  /** Reserve a call's worst-case cost. A hold (or undefined when no limit applies) synchronously when the gate can
   * answer from memory; a Promise when it must ask its store. Throws / rejects LimitExceededError for a block. */
  reserve(request: ReserveRequest): LimitHold | undefined | Promise<LimitHold | undefined>;
  close?(): void | Promise<void>;
}

/** A reservation held for one call until it settles or is released. */
export interface LimitHold {
  /** Replaces the reservation with the real cost (micro-USD, and the exact nano-USD when known); returns ids of allow limits now exceeded (from the gate's latest known state; store I/O is the gate's own async business). */
  settle(costMicros: number | null, costNanos?: number | null): string[];
  /** Gives the reservation back without cost (call failed before billing, abandoned, reaped). Idempotent. */
  release(): void;
}
