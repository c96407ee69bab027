/**
 * The stream body observer alone (toolkit/event-stream-body.ts), not part of `npm run bench`: the canned
 * 204-event chat stream (bench/peer-fixtures.ts) read through a Response's body bare and observed, CPU per event;
 * no SDK, no AsyncLocalStorage. `one-read`: the body arrives in one read (as the goals' in-process transport
 * gives it); `per-event`: one read per event. With several builds (directories with a built dist/, default this
 * checkout), each round reads bare and then observed by each build in turn, in one process; printed: the median
 * and the least disturbed (min) round of each (another process on the machine only ever adds CPU time).
 * `--anthropic`: an Anthropic Messages stream of as many text deltas instead (the messages observer);
 * `--responses`: an OpenAI Responses stream of as many output_text deltas (the responses observer).
 *
 *   npx tsx bench/stream-body.ts [one-read|per-event] [--anthropic|--responses] [dir...]
 */
import { cannedFetch, STREAM_CHUNKS } from "./peer-fixtures.js";

const args = process.argv.slice(2);
const anthropic = args.includes("--anthropic");
const responses = args.includes("--responses");
const [split = "one-read", ...given] = args.filter((a) => a !== "--anthropic" && a !== "--responses");
const dirs = given.length > 0 ? given : [new URL("..", import.meta.url).pathname];
const builds = await Promise.all(
  dirs.map(async (dir) => {
    const at = (path: string) => new URL(`file://${dir}/dist/src/${path}`).href;
    const { observeEventStreamBody, setStreamObserver } = (await import(
      at("providers/toolkit/event-stream-body.js")
    )) as typeof import("../src/providers/toolkit/event-stream-body.js");
    const { chatObserver, responsesObserver } = (await import(
      at("providers/openai/stream.js")
    )) as typeof import("../src/providers/openai/stream.js");
    const { messagesObserver } = (await import(
      at("providers/anthropic/stream.js")
    )) as typeof import("../src/providers/anthropic/stream.js");
    const { Call } = (await import(at("calls/call.js"))) as typeof import("../src/calls/call.js");
    const observer = anthropic ? messagesObserver : responses ? responsesObserver : chatObserver;
    return { dir, observeEventStreamBody, setStreamObserver, observer, Call };
  }),
);

const runtime = { pipeline: { emit() {}, captureContexts: () => undefined } } as never;
const start = {
  provider: "openai",
  operation: "chat",
  requestModel: "m",
  stream: true,
  headers: [],
  estimateInputTokens: () => 1,
};
const namedEvent = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
// Anthropic's framing of a reply of STREAM_CHUNKS words, as the mock provider sends it.
const ANTHROPIC_BODY = [
  namedEvent("message_start", {
    type: "message_start",
    message: {
      id: "msg_bench",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5-20250929",
      content: [],
      stop_reason: null,
      usage: { input_tokens: 11, output_tokens: 1 },
    },
  }),
  namedEvent("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  }),
  ...Array.from({ length: STREAM_CHUNKS }, (_, i) =>
    namedEvent("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: ` word${i}` },
    }),
  ),
  namedEvent("content_block_stop", { type: "content_block_stop", index: 0 }),
  namedEvent("message_delta", {
    type: "message_delta",
    delta: { stop_reason: "end_turn" },
    usage: { output_tokens: 600 },
  }),
  namedEvent("message_stop", { type: "message_stop" }),
].join("");
const RESPONSES_BODY = [
  namedEvent("response.created", {
    type: "response.created",
    response: { id: "resp_bench", model: "gpt-4o-mini-2024-07-18", usage: null },
  }),
  ...Array.from({ length: STREAM_CHUNKS }, (_, i) =>
    namedEvent("response.output_text.delta", {
      type: "response.output_text.delta",
      item_id: "msg_bench",
      output_index: 0,
      content_index: 0,
      delta: ` word${i}`,
      sequence_number: i + 3,
    }),
  ),
  namedEvent("response.completed", {
    type: "response.completed",
    response: {
      id: "resp_bench",
      model: "gpt-4o-mini-2024-07-18",
      usage: { input_tokens: 11, output_tokens: 600 },
    },
  }),
].join("");
const text = responses
  ? RESPONSES_BODY
  : anthropic
    ? ANTHROPIC_BODY
    : await (await cannedFetch("", { body: '"stream":true' })).text();
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
const streams = 200;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpu = async (fn: () => Promise<void>) => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < streams; i++) await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / streams / events.length;
};
const bare: number[] = [];
const observed = builds.map(() => [] as number[]);
for (let round = 0; round < 21; round++) {
  const b = await cpu(() => drain(response()));
  const o: number[] = [];
  for (const build of builds)
    o.push(
      await cpu(async () => {
        const call = new build.Call(runtime, start, {}, undefined);
        build.setStreamObserver(call, build.observer, false);
        const r = response();
        build.observeEventStreamBody(r, call, undefined);
        await drain(r);
      }),
    );
  if (round < 2) continue;
  bare.push(b);
  for (let k = 0; k < o.length; k++) observed[k]!.push(o[k]!);
}
console.log(
  `${split}, ${events.length} events, ${bare.length} rounds: bare ${median(bare).toFixed(3)} µs/event (min ${Math.min(...bare).toFixed(3)})`,
);
builds.forEach((build, k) => {
  const o = observed[k]!;
  console.log(
    `  ${build.dir}: observed ${median(o).toFixed(3)} (min ${Math.min(...o).toFixed(3)}), added ` +
      `${(median(o) - median(bare)).toFixed(3)} µs/event (min ${(Math.min(...o) - Math.min(...bare)).toFixed(3)})`,
  );
});
