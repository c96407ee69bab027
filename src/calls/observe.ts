import { log } from "../log.js";
import type { Call } from "./call.js";
import { failCall, finishCall, finishWhenCollected, stopWatching } from "./finish.js";

/** What one stream item is, as an adapter reads it (after reporting its usage and model on the call). */
export type StreamItem = "content" | "meta" | "hidden";

export interface StreamObserver {
  /**
   * Reads one item: reports usage / model on the call and says what the item is — `content` (output, ≈ one
   * token), `meta` (anything else), `hidden` (an item costtrail asked for that the user must not see).
   */
  onItem(item: any, call: Call): StreamItem;
}

export interface StreamOptions {
  /** The request's abort signal: the SDKs end a stream quietly (done) when it fires. */
  signal?: AbortSignal | undefined;
  /** The error type an abort is recorded with (the SDK's name for it). */
  abortType: string;
  /** The provider always ends a complete stream with its usage: a stream done without it was cut short. */
  usageRequired?: boolean;
  /** Reads what the SDK attached to a failure (attempts, status) before the call fails. */
  onError?: (error: unknown, call: Call) => void;
}

/**
 * Observes the iterators `target[key]()` returns (the Stainless Stream's `iterator`, which its
 * `[Symbol.asyncIterator]`, `tee()` and `toReadableStream()` all call; a Bedrock output's event stream), in
 * place: the user keeps the SDK's object and sees the same items, and the call ends once. False when the
 * target has no such method (the call is then finished as it is).
 */
export function observeIteratorMethod(
  target: any,
  key: string | symbol,
  call: Call,
  observer: StreamObserver,
  options: StreamOptions,
): boolean {
  const method = target?.[key];
  if (typeof method !== "function") return false;
  Object.defineProperty(target, key, {
    configurable: true,
    writable: true,
    enumerable: Object.getOwnPropertyDescriptor(target, key)?.enumerable ?? false,
    value: function (this: unknown) {
      // Being read now: the stream may be dropped while its iterator is in use (`for await` keeps only the
      // iterator), so from here on it is the iterator whose collection ends the call.
      stopWatching(call);
      const iterator = observeIterator(
        Reflect.apply(method, this, []) as AsyncIterator<unknown>,
        call,
        observer,
        options,
      );
      finishWhenCollected(iterator, call);
      return iterator;
    },
  });
  // A stream never read nor closed must not hold its reservation until the reaper: its collection ends it.
  finishWhenCollected(target, call);
  return true;
}

/**
 * The SDK's iterator, observed: a plain iterator object adding one `.then` per item (an async generator here
 * costs several promise ticks per chunk). Every way out ends the call once: done, `return()` (a `break`),
 * `throw()`, or a rejection; the SDKs end quietly when the request is aborted, so a done stream checks the signal.
 */
export function observeIterator(
  inner: AsyncIterator<unknown>,
  call: Call,
  observer: StreamObserver,
  options: StreamOptions,
): AsyncIterableIterator<unknown> {
  let settled = false;
  const end = (completed: boolean) => {
    if (settled) return;
    settled = true;
    if (options.signal?.aborted) finishCall(call, "aborted", options.abortType);
    else if (!completed) finishCall(call, "aborted", "StreamClosedEarly");
    else if (options.usageRequired && !call.usageReported) finishCall(call, "error", "IncompleteStream");
    else finishCall(call, "ok");
  };
  const failed = (error: unknown): never => {
    // What the SDK throws is a failure (a user abort surfaces as the SDK's abort error: `aborted`).
    settled = true;
    try {
      options.onError?.(error, call);
    } catch (err) {
      log.internalFailure("stream-error", err);
    }
    failCall(call, error);
    throw error;
  };
  const step = (
    result: IteratorResult<unknown>,
  ): IteratorResult<unknown> | Promise<IteratorResult<unknown>> => {
    if (result.done) {
      end(true);
      return result;
    }
    let kind: StreamItem = "meta";
    try {
      kind = observer.onItem(result.value, call);
      call.sawItem(kind === "content");
    } catch (error) {
      log.internalFailure("stream-item", error);
    }
    return kind === "hidden" ? inner.next().then(step, failed) : result;
  };
  return {
    next: () => inner.next().then(step, failed),
    return: (value?: unknown) => {
      end(false);
      return inner.return ? inner.return(value) : Promise.resolve({ done: true as const, value });
    },
    throw: (error?: unknown) => {
      end(false);
      return inner.throw ? inner.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
