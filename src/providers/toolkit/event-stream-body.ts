// A streamed response observed at its body, below the SDK's Stream: the SDK's `Stream` object, its `iterator`,
// `[Symbol.asyncIterator]()`, `tee()`, `toReadableStream()` and `controller` stay exactly the SDK's, and a raw
// `asResponse()` reader or a `response.body.cancel()` reaches the connection as without costtrail. The Response
// keeps its identity; only its `body` (and the readers built on it) are given the observed stream.
import {
  type Call,
  classifyError,
  finishCall,
  finishWhenCollected,
  type StreamItem,
  type StreamObserver,
  stopWatching,
} from "../../calls/index.js";
import { log } from "../../log.js";
import type { ResultObserver } from "./billable.js";
import { hasTextAt } from "./event-text.js";
import { replaceResponseBody } from "./response-body.js";
import { UTF8Text } from "./utf8-text.js";

/** The observer for each call whose body is read here (set when the call starts, see billable-request.ts). */
const observers = new WeakMap<Call, BodyObserver>();
/** Calls whose stream body is observed: the APIPromise's Stream is then left alone. */
const observedCalls = new WeakSet<Call>();

type BodyObserver = StreamObserver & Pick<ResultObserver, "textPrecheck"> & { rewrites?: boolean };

export function setStreamObserver(call: Call, observer: BodyObserver, rewrites: boolean): void {
  observers.set(call, rewrites ? { onItem: observer.onItem, rewrites } : observer);
}

export function isBodyObserved(call: Call): boolean {
  return observedCalls.has(call);
}

/**
 * Observes an `text/event-stream` response of a call in place. Every event is read once as it is handed to
 * the reader (usage, model, content), in the chunks the connection delivered; an observer that `rewrites` (one that hides what
 * costtrail asked for) has each event written back as it wants the user to see it. The call ends once: the
 * provider's last event handed on, or the body done (`ok`); cancelled before that (`aborted`,
 * `StreamClosedEarly`), the request aborted (`aborted`, the SDK's `APIUserAbortError`), or the body failing.
 */
export function observeEventStreamBody(response: any, call: Call, signal: AbortSignal | undefined): void {
  const observer = observers.get(call);
  if (!observer || !response?.ok || !response.body) return;
  const type = response.headers?.get?.("content-type") ?? "";
  if (!String(type).includes("text/event-stream")) return;
  // The Response's own body as it is when first read: a copy made before (`clone()`, for a call nobody awaited;
  // see api-promise.ts) leaves it one branch of a tee.
  const ownBody = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(response), "body")?.get;
  // node-fetch's Response (older SDKs) has a Node stream body: the SDK's Stream iterator is observed instead.
  if (!ownBody || typeof ownBody.call(response)?.getReader !== "function") return;
  let observed: ReadableStream<Uint8Array> | undefined;
  const state = { complete: false };
  const body = () => {
    if (!observed) {
      observed = observedBody(() => ownBody.call(response), call, observer, signal, state);
      // Being read now: from here on it is the body (held by whatever reads it) whose collection ends the call.
      stopWatching(call);
      finishWhenCollected(observed, call);
    }
    return observed;
  };
  replaceResponseBody(response, body);
  observedCalls.add(call);
  // An abort the stream never reads (the request's signal, `stream.controller.abort()`) still ends the call.
  const aborted = () =>
    state.complete ? finishCall(call, "ok") : finishCall(call, "aborted", "APIUserAbortError");
  if (signal?.aborted) aborted();
  else signal?.addEventListener("abort", aborted, { once: true });
}

function observedBody(
  source: () => ReadableStream<Uint8Array>,
  call: Call,
  observer: BodyObserver,
  signal: AbortSignal | undefined,
  state: { complete: boolean },
): ReadableStream<Uint8Array> {
  // Taken at the first read, not before: until then the Response's own body stays unlocked (clone() works).
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const decoder = new UTF8Text();
  let encoder: TextEncoder | undefined; // made only for an observer that rewrites
  const encoded = (text: string) => {
    encoder ??= new TextEncoder();
    return encoder.encode(text);
  };
  // Never for an observer that rewrites: its every event is parsed and written back.
  const precheck = observer.rewrites ? undefined : observer.textPrecheck?.();
  const rewrites = observer.rewrites === true;
  /**
   * Reads the events from `from` in place (content of a shape the pre-check knows), counting each item: where
   * the first one it did not read starts (`contentRun`). Cleared if it ever throws (a costtrail bug, counting
   * nothing): the events are then read one by one, as without it.
   */
  let inPlace = precheck?.contentRun !== undefined;
  /** Received text not yet split into events. */
  let pending = "";
  let ended = false;
  /**
   * Reads one event, `text` from `from` to `to` (read in place: most events are never copied out), as it is
   * handed on. Returns it as the user must see it ("" to hide it); only used when the observer rewrites.
   */
  const readEvent = (text: string, from: number, to: number): string => {
    let data: string | undefined;
    let event: string | undefined;
    // Most events are one `data: {…}` line: read as it is. Others line by line, without splitting into an array.
    if (text.charCodeAt(from + 6) === 123 && hasTextAt(text, from, "data: ") && !hasNewline(text, from, to))
      data = text.slice(from + 6, to);
    else
      for (let at = from; at < to; ) {
        let end = text.indexOf("\n", at);
        if (end < 0 || end > to) end = to;
        if (hasTextAt(text, at, "data:")) {
          const line = text.slice(at + 5, end).trimStart();
          data = data === undefined ? line : `${data}\n${line}`;
        } else if (hasTextAt(text, at, "event:")) event = text.slice(at + 6, end).trim();
        at = end + 1;
      }
    const same = rewrites ? text.slice(from, to) : "";
    // The provider's last word (`[DONE]`; `message_stop`, `response.completed` below): the call completed.
    if (data !== undefined && hasTextAt(data, 0, "[DONE]")) state.complete = true;
    if (data === undefined || state.complete || event?.startsWith("thread.")) return same;
    // Most events carry nothing costtrail reads: the observer tells so from the text, and they are not parsed.
    if (precheck && event !== "error") {
      let kind: StreamItem | undefined;
      try {
        kind = precheck.kind(data, call);
      } catch (error) {
        log.internalFailure("stream-item", error);
        return same;
      }
      if (kind !== undefined) {
        call.sawItem(kind === "content");
        return same;
      }
    }
    let item: any;
    try {
      item = JSON.parse(data);
    } catch {
      return same; // the SDK says what is wrong with it
    }
    let kind: StreamItem = "meta";
    try {
      if (event === "error" || item?.type === "error" || (item?.error && !item?.choices)) {
        finishCall(call, "error", "APIError");
        return same;
      }
      if (item?.type === "message_stop" || item?.type === "response.completed") state.complete = true;
      kind = observer.onItem(item, call);
      call.sawItem(kind === "content");
      precheck?.parsed?.(data, item, call);
    } catch (error) {
      log.internalFailure("stream-item", error);
      return same;
    }
    if (kind === "hidden") return "";
    if (!rewrites) return same;
    return `${event === undefined ? "" : `event: ${event}\n`}data: ${JSON.stringify(item)}`;
  };
  /** Splits received text into whole events, each read as it is handed on; returns them as the user sees them. */
  const handOn = (text: string, last: boolean): string => {
    if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
    pending = pending === "" ? text : pending + text;
    let shown = "";
    let start = 0;
    for (;;) {
      // Most events: content of a shape the pre-check knows, read in place (never for an observer that rewrites).
      if (inPlace && !state.complete) {
        try {
          start = precheck!.contentRun!(pending, start, call);
        } catch (error) {
          log.internalFailure("stream-item", error);
          inPlace = false;
        }
      }
      const end = pending.indexOf("\n\n", start);
      if (end < 0) break;
      const event = readEvent(pending, start, end);
      if (event && rewrites) shown += `${event}\n\n`;
      start = end + 2;
    }
    pending = start === 0 ? pending : pending.slice(start);
    if (last && pending) {
      const event = readEvent(pending, 0, pending.length);
      if (rewrites) shown += event;
      pending = "";
    }
    return shown;
  };
  const settle = (status: "ok" | "aborted", errorType?: string) => {
    if (state.complete) finishCall(call, "ok");
    else if (signal?.aborted) finishCall(call, "aborted", "APIUserAbortError");
    else finishCall(call, status, errorType);
  };
  const failed = (controller: ReadableStreamDefaultController<Uint8Array>, error: unknown) => {
    if (state.complete || signal?.aborted) settle("aborted");
    else {
      const { status, errorType } = classifyError(error);
      finishCall(call, status, errorType);
    }
    controller.error(error);
  };
  /**
   * One read of the connection, handed on as one chunk, as the SDK would have read it: a reader that stops (a
   * `break`, an abort) has been given exactly what it would have been given without costtrail. A promise chain,
   * not an async loop: per chunk, one reaction of ours.
   */
  const pull = (controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> | undefined => {
    if (ended) {
      settle("ok");
      controller.close();
      return undefined;
    }
    let read: Promise<ReadableStreamReadResult<Uint8Array>>;
    try {
      reader ??= source().getReader();
      read = reader.read();
    } catch (error) {
      failed(controller, error);
      return undefined;
    }
    return read.then(
      (result): Promise<void> | undefined => {
        if (result.done) {
          ended = true;
          const shown = handOn(decoder.end(), true);
          if (rewrites && shown) {
            controller.enqueue(encoded(shown));
            return undefined;
          }
          return pull(controller);
        }
        const shown = handOn(decoder.write(result.value), false);
        // The provider's last event has arrived: the call is complete however much of it the reader goes on to read.
        if (state.complete) finishCall(call, "ok");
        // Unless events are rewritten, the bytes go on exactly as they came (a partial event included).
        if (!rewrites) controller.enqueue(result.value);
        else if (shown) controller.enqueue(encoded(shown));
        else return pull(controller);
        return undefined;
      },
      (error: unknown) => failed(controller, error),
    );
  };
  let own: ReadableStreamDefaultController<Uint8Array> | undefined;
  const observed = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        own = controller;
      },
      pull,
      cancel(reason) {
        settle("aborted", "StreamClosedEarly");
        return reader ? reader.cancel(reason) : source().cancel(reason);
      },
    },
    // Nothing is read ahead of the reader: an event is observed when its chunk is handed on.
    { highWaterMark: 0 },
  );
  if (rewrites) return observed;
  /**
   * One read of the connection for the stream's async iterator (what the SDKs' Stream reads the body with): the
   * chunk goes from the connection's reader to the iterator's caller without passing through `observed`'s queue,
   * observed on the way as `pull` observes it. `observed` is locked, closed, errored and cancelled as its own
   * iterator would leave it (docs/benchmarks.md "Streams read by their iterator").
   */
  const readForIterator: IteratorRead = (next, fail) => {
    const controller = own!;
    if (ended)
      return Promise.resolve<ReadableStreamReadResult<Uint8Array>>({ done: true, value: undefined }).then(
        next,
      );
    let read: Promise<ReadableStreamReadResult<Uint8Array>>;
    try {
      reader ??= source().getReader();
      read = reader.read();
    } catch (error) {
      failed(controller, error);
      return Promise.reject(error).then(undefined, fail);
    }
    // One reaction per read: the chunk is observed and handed to the iterator in the same callback.
    return read.then(
      (result) => {
        try {
          if (result.done) {
            ended = true;
            handOn(decoder.end(), true);
            settle("ok");
            controller.close();
          } else {
            handOn(decoder.write(result.value), false);
            if (state.complete) finishCall(call, "ok");
          }
        } catch (error) {
          return fail(error);
        }
        return next(result);
      },
      (error: unknown) => {
        failed(controller, error);
        return fail(error);
      },
    );
  };
  const values = (options?: { preventCancel?: boolean }) =>
    streamIterator(observed, readForIterator, options?.preventCancel === true);
  for (const key of [Symbol.asyncIterator, "values"] as const)
    Object.defineProperty(observed, key, { configurable: true, writable: true, value: values });
  return observed;
}

type IteratorRead = (
  next: (result: ReadableStreamReadResult<Uint8Array>) => IteratorResult<Uint8Array>,
  fail: (error: unknown) => never,
) => Promise<IteratorResult<Uint8Array>>;

/**
 * A ReadableStream async iterator (`stream.values()`, `for await`) over `read` (which hands each read to `next`
 * or `fail` in its own reaction: one promise per read): the stream is locked while it
 * runs and released when it ends, fails or returns; `return()` cancels the stream unless `preventCancel`; calls
 * of `next()` made before the previous one settled run after it, in order.
 */
function streamIterator(
  stream: ReadableStream<Uint8Array>,
  read: IteratorRead,
  preventCancel: boolean,
): AsyncIterableIterator<Uint8Array> {
  const lock = stream.getReader(); // throws, as the stream's own iterator does, when it is locked
  let finished = false;
  /** next() calls not settled yet, and the last of them: a new call runs after it. */
  let pending = 0;
  let tail: Promise<IteratorResult<Uint8Array>> | undefined;
  const release = () => {
    finished = true;
    lock.releaseLock();
  };
  const step = (): Promise<IteratorResult<Uint8Array>> => {
    if (finished) {
      pending--;
      return Promise.resolve({ done: true, value: undefined });
    }
    return read(settled, failed);
  };
  const settled = (result: ReadableStreamReadResult<Uint8Array>): IteratorResult<Uint8Array> => {
    pending--;
    if (!result.done) return { done: false, value: result.value };
    release();
    return { done: true, value: undefined };
  };
  const failed = (error: unknown): never => {
    pending--;
    release();
    throw error;
  };
  const iterator: AsyncIterableIterator<Uint8Array> = {
    next() {
      const run = pending++ > 0 && tail ? tail.then(step, step) : step();
      tail = run;
      return run;
    },
    return(value?: unknown) {
      const done = { done: true as const, value: value as undefined };
      if (finished) return Promise.resolve(done);
      const settled = pending > 0 && tail ? tail : Promise.resolve();
      return settled.then(
        () => close(),
        () => close(),
      );
      function close(): Promise<IteratorResult<Uint8Array>> {
        if (finished) return Promise.resolve(done);
        if (preventCancel) {
          release();
          return Promise.resolve(done);
        }
        const cancelled = lock.cancel(value);
        release();
        return cancelled.then(() => done);
      }
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

/** Whether `text` has a line feed between `from` and `to`. */
function hasNewline(text: string, from: number, to: number): boolean {
  const at = text.indexOf("\n", from);
  return at >= 0 && at < to;
}
