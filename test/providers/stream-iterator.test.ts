// A streamed body observed by costtrail (toolkit/event-stream-body.ts) gives its async iterator — what the SDKs'
// Stream reads it with — a direct path to the connection: it must behave as the stream's own iterator, for the
// reader (chunks, end, errors, locking, return() with and without preventCancel, overlapping next() calls) and
// for the call (one event, its status).
import { createHook } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { Call, type CallStart } from "../../src/calls/index.js";
import { chatObserver } from "../../src/providers/openai/stream.js";
import { observeEventStreamBody, setStreamObserver } from "../../src/providers/toolkit/event-stream-body.js";
import type { UsageEvent } from "../../src/types.js";

const start: CallStart = {
  provider: "openai",
  operation: "chat",
  requestModel: "m",
  stream: true,
  headers: [],
  estimateInputTokens: () => 1,
};
const chunk = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;
const EVENTS = [chunk("a"), chunk("b"), chunk("c"), "data: [DONE]\n\n"].map((e) =>
  new TextEncoder().encode(e),
);

/** A body delivering EVENTS one read each (then failing, if asked), and what happened to it. */
function source(fail?: Error) {
  const seen = { cancelled: undefined as unknown, pulls: 0 };
  let i = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulls++;
        if (i < EVENTS.length) controller.enqueue(EVENTS[i++]!);
        else if (fail) controller.error(fail);
        else controller.close();
      },
      cancel(reason) {
        seen.cancelled = reason;
      },
    },
    { highWaterMark: 0 },
  );
  return { body, seen };
}

/** The same body, bare and observed, with the call's events. */
function pair(fail?: Error) {
  const bare = source(fail);
  const observed = source(fail);
  const events: UsageEvent[] = [];
  const runtime = { pipeline: { emit: (e: UsageEvent) => events.push(e), captureContexts: () => undefined } };
  const call = new Call(runtime as never, start, {}, undefined);
  setStreamObserver(call, chatObserver, false);
  const response = new Response(observed.body, { headers: { "content-type": "text/event-stream" } });
  observeEventStreamBody(response, call, undefined);
  return { bare, observed, body: response.body!, events };
}

const text = (chunks: Uint8Array[]) => chunks.map((c) => new TextDecoder().decode(c)).join("");

describe("the async iterator of an observed stream body", () => {
  it("yields the chunks as they came, ends, releases the lock; the call ends ok once", async () => {
    const p = pair();
    const got: Uint8Array[] = [];
    expect(p.body.locked).toBe(false);
    for await (const c of p.body) {
      expect(p.body.locked).toBe(true);
      got.push(c);
    }
    const bare: Uint8Array[] = [];
    for await (const c of p.bare.body) bare.push(c);
    expect(text(got)).toBe(text(bare));
    expect(got.length).toBe(bare.length);
    expect(p.body.locked).toBe(false);
    expect(p.events.map((e) => e.status)).toEqual(["ok"]);
    expect(await p.body.getReader().read()).toEqual({ done: true, value: undefined });
  });

  it("is refused on a locked body, as the stream's own", () => {
    const p = pair();
    p.body.getReader();
    expect(() => p.body[Symbol.asyncIterator]()).toThrow(TypeError);
    expect(() => p.bare.body.getReader() && p.bare.body[Symbol.asyncIterator]()).toThrow(TypeError);
  });

  it("return() cancels the connection with its reason; with preventCancel it only releases the lock", async () => {
    const p = pair();
    const it = p.body[Symbol.asyncIterator]();
    await it.next();
    expect(await it.return!("stop" as never)).toEqual({ done: true, value: "stop" });
    expect(p.observed.seen.cancelled).toBe("stop");
    expect(p.body.locked).toBe(false);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(p.events.map((e) => [e.status, e.errorType])).toEqual([["aborted", "StreamClosedEarly"]]);

    const q = pair();
    const kept = q.body.values({ preventCancel: true });
    await kept.next();
    await kept.return!();
    expect(q.observed.seen.cancelled).toBeUndefined();
    expect(q.body.locked).toBe(false);
    const rest: Uint8Array[] = [];
    for await (const c of q.body) rest.push(c);
    expect(rest.length).toBe(EVENTS.length - 1);
    expect(q.events.map((e) => e.status)).toEqual(["ok"]);
  });

  it("a break in for await is a return(): the connection is cancelled", async () => {
    const p = pair();
    for await (const _ of p.body) break;
    expect(p.observed.seen.cancelled).toBeUndefined(); // for await returns without a reason
    expect(p.body.locked).toBe(false);
    expect(p.events.map((e) => e.status)).toEqual(["aborted"]);
  });

  it("overlapping next() calls are answered in order, one read each", async () => {
    const p = pair();
    const it = p.body[Symbol.asyncIterator]();
    const results = await Promise.all([it.next(), it.next(), it.next(), it.next(), it.next(), it.next()]);
    const bareIt = p.bare.body[Symbol.asyncIterator]();
    const bare = await Promise.all([
      bareIt.next(),
      bareIt.next(),
      bareIt.next(),
      bareIt.next(),
      bareIt.next(),
      bareIt.next(),
    ]);
    expect(results.map((r) => r.done)).toEqual(bare.map((r) => r.done));
    expect(text(results.filter((r) => !r.done).map((r) => r.value as Uint8Array))).toBe(
      text(bare.filter((r) => !r.done).map((r) => r.value as Uint8Array)),
    );
  });

  it("a failing connection rejects next() with its error, then ends; the body is errored and released", async () => {
    const boom = new Error("connection reset");
    const p = pair(boom);
    const got: Uint8Array[] = [];
    await expect(
      (async () => {
        for await (const c of p.body) got.push(c);
      })(),
    ).rejects.toBe(boom);
    expect(got.length).toBe(EVENTS.length);
    expect(p.body.locked).toBe(false);
    await expect(p.body.getReader().read()).rejects.toBe(boom);
    expect(p.events.length).toBe(1);
  });

  it("adds no promise per read to the stream's own iterator (counted, 60 reads)", async () => {
    const many = Array.from({ length: 60 }, (_, i) => new TextEncoder().encode(chunk(`c${i}`)));
    const body = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const e of many) controller.enqueue(e);
          controller.close();
        },
      });
    const read = async (observe: boolean) => {
      const response = new Response(body(), { headers: { "content-type": "text/event-stream" } });
      if (observe) {
        const call = new Call(
          { pipeline: { emit() {}, captureContexts: () => undefined } } as never,
          start,
          {},
          undefined,
        );
        setStreamObserver(call, chatObserver, false);
        observeEventStreamBody(response, call, undefined);
      }
      const stream = response.body!;
      let promises = 0;
      const hook = createHook({
        init(_id, type) {
          if (type === "PROMISE") promises++;
        },
      }).enable();
      let chunks = 0;
      for await (const _ of stream) chunks++;
      hook.disable();
      expect(chunks).toBe(many.length);
      return promises;
    };
    await read(false);
    await read(true);
    const bare = await read(false);
    const observed = await read(true);
    // Before one reaction per read: 60 more than the stream's own iterator.
    expect(observed - bare).toBeLessThan(10);
  });

  it("a pre-check whose in-place read throws (a costtrail bug) is dropped: the reader gets every chunk, the call its event", async () => {
    const throwing = {
      ...chatObserver,
      textPrecheck: () => {
        const precheck = chatObserver.textPrecheck!();
        precheck.contentRun = () => {
          throw new Error("a costtrail bug");
        };
        return precheck;
      },
    };
    const observed = source();
    const bare = source();
    const events: UsageEvent[] = [];
    const runtime = {
      pipeline: { emit: (e: UsageEvent) => events.push(e), captureContexts: () => undefined },
    };
    const call = new Call(runtime as never, start, {}, undefined);
    setStreamObserver(call, throwing, false);
    const response = new Response(observed.body, { headers: { "content-type": "text/event-stream" } });
    observeEventStreamBody(response, call, undefined);
    const got: Uint8Array[] = [];
    for await (const c of response.body!) got.push(c);
    const want: Uint8Array[] = [];
    for await (const c of bare.body) want.push(c);
    expect(text(got)).toBe(text(want));
    expect(events.map((e) => e.status)).toEqual(["ok"]);
  });
});
