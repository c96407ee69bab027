/**
 * The stream body observer alone (toolkit/event-stream-body.ts), not part of `npm run bench`: the canned
 * 204-event chat stream (bench/peer-fixtures.ts) read through a Response's body bare and observed, CPU per event,
 * median of 8 rounds; no SDK, no AsyncLocalStorage. `one-read`: the body arrives in one read (as the goals'
 * in-process transport gives it); `per-event`: one read per event.
 *
 *   npx tsx bench/stream-body.ts [one-read|per-event] [dir with a built dist/, default this checkout]
 */
import { cannedFetch } from "./peer-fixtures.js";

const [split = "one-read", dir = new URL("..", import.meta.url).pathname] = process.argv.slice(2);
const at = (path: string) => new URL(`file://${dir}/dist/src/${path}`).href;
const { observeEventStreamBody, setStreamObserver } = (await import(
  at("providers/toolkit/event-stream-body.js")
)) as typeof import("../src/providers/toolkit/event-stream-body.js");
const { chatObserver } = (await import(
  at("providers/openai/stream.js")
)) as typeof import("../src/providers/openai/stream.js");
const { Call } = (await import(at("calls/call.js"))) as typeof import("../src/calls/call.js");

const runtime = { pipeline: { emit() {}, captureContexts: () => undefined } } as never;
const start = {
  provider: "openai",
  operation: "chat",
  requestModel: "m",
  stream: true,
  headers: [],
  estimateInputTokens: () => 1,
};
const text = await (await cannedFetch("", { body: '"stream":true' })).text();
const events = text
  .split("\n\n")
  .filter(Boolean)
  .map((e) => new TextEncoder().encode(`${e}\n\n`));
const whole = new TextEncoder().encode(text);
const response = () =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        if (split === "per-event") for (const e of events) controller.enqueue(e);
        else controller.enqueue(whole);
        controller.close();
      },
    }),
    { headers: { "content-type": "text/event-stream" } },
  );
async function drain(r: Response): Promise<void> {
  const reader = r.body!.getReader();
  while (!(await reader.read()).done) {
    // drain
  }
}
const streams = 300;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpu = async (fn: () => Promise<void>) => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < streams; i++) await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / streams / events.length;
};
const bare: number[] = [];
const observed: number[] = [];
for (let round = 0; round < 9; round++) {
  const b = await cpu(() => drain(response()));
  const o = await cpu(async () => {
    const call = new Call(runtime, start, {}, undefined);
    setStreamObserver(call, chatObserver, false);
    const r = response();
    observeEventStreamBody(r, call, undefined);
    await drain(r);
  });
  if (round === 0) continue;
  bare.push(b);
  observed.push(o);
}
console.log(
  `${split}, ${events.length} events: bare ${median(bare).toFixed(3)} µs/event, observed ${median(observed).toFixed(3)}, ` +
    `added ${(median(observed) - median(bare)).toFixed(3)} µs/event`,
);
