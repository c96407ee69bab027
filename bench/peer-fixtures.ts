// Shared by bench/peers.ts and its child processes (bench/peer-variant.ts): the variants, the IPC messages,
// the limits, and the canned responses of the in-process transport; and the one call the other benches make.
import type { default as OpenAIClass } from "openai";

export const VARIANTS = [
  "bare",
  "bare+ALS",
  "costtrail, ledger off",
  "costtrail, SQLite ledger",
  "costtrail, SQLite + 10 limits",
  "@traceloop/instrumentation-openai",
  "@opentelemetry/instrumentation-openai",
  "@langfuse/openai",
] as const;
export type Variant = (typeof VARIANTS)[number];
export type Mode = "chat" | "stream";
export type Transport = "loopback" | "in-process";

export interface RunRequest {
  mode: Mode;
  transport: Transport;
  calls: number;
}
export interface RunResult {
  wallMs: number;
  /** User + system CPU of this process over the calls and the flush that follows them. */
  cpuUs: number;
  /** What the instrumentation recorded in the run (events or spans); -1 for the bare variants. */
  recorded: number;
}

/** 10 roomy limits, mixed windows and modes, all named by every call: the gate does its full work. */
export function benchLimits(count: number) {
  const windows = ["day", "week", "month", "total"] as const;
  return Array.from({ length: count }, (_, i) => ({
    id: `bench-${i}`,
    maxUsd: 1_000_000,
    window: windows[i % windows.length]!,
    mode: (i % 2 ? "allow" : "block") as "allow" | "block",
    alertAtPct: 80,
  }));
}

/** Chunks of a benchmark stream: the mock streams a tool call's arguments 12 characters per chunk. */
export const STREAM_CHUNKS = 200;
const ARGUMENT = "x".repeat(STREAM_CHUNKS * 12 - '{"text":""}'.length);

/**
 * One tool whose arguments the mock's schema sampler fills with a `const` string, streamed as exactly
 * STREAM_CHUNKS argument deltas (the mock's word-per-chunk text replies are 8–24 chunks long).
 */
export const STREAM_TOOLS = [
  {
    type: "function" as const,
    function: {
      name: "record",
      parameters: {
        type: "object",
        properties: { text: { type: "string", const: ARGUMENT } },
        required: ["text"],
      },
    },
  },
];

const envelope = { id: "chatcmpl-bench", created: 1, model: "gpt-4o-mini-2024-07-18" };
const usage = { prompt_tokens: 10, completion_tokens: 600, total_tokens: 610 };
const CHAT_BODY = JSON.stringify({
  ...envelope,
  object: "chat.completion",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Brief.", refusal: null },
      finish_reason: "stop",
      logprobs: null,
    },
  ],
  usage: { ...usage, completion_tokens: 2, total_tokens: 12 },
});
const sse = (data: unknown) => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
const chunk = (delta: object, finish: string | null) =>
  sse({
    ...envelope,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
  });
const args = JSON.stringify({ text: ARGUMENT });
const STREAM_BODY = [
  chunk(
    {
      role: "assistant",
      content: null,
      tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "record", arguments: "" } }],
    },
    null,
  ),
  ...Array.from({ length: STREAM_CHUNKS }, (_, i) =>
    chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(i * 12, i * 12 + 12) } }] }, null),
  ),
  chunk({}, "tool_calls"),
  sse({ ...envelope, object: "chat.completion.chunk", choices: [], usage }),
  sse("[DONE]"),
].join("");

/** The in-process transport: a `fetch` answering every call with a canned body, no socket, no server. */
export async function cannedFetch(_url: unknown, init?: { body?: unknown }): Promise<Response> {
  const stream = typeof init?.body === "string" && init.body.includes('"stream":true');
  return new Response(stream ? STREAM_BODY : CHAT_BODY, {
    headers: { "content-type": stream ? "text/event-stream" : "application/json" },
  });
}

const BENCH_MESSAGES = [{ role: "user" as const, content: "Benchmark me briefly." }];

/** The benches' call: a non-streaming chat, or a stream of STREAM_CHUNKS chunks (STREAM_TOOLS) drained to its end. */
export async function benchCall(client: OpenAIClass, stream: boolean): Promise<void> {
  if (!stream) {
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: BENCH_MESSAGES });
    return;
  }
  const s = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: BENCH_MESSAGES,
    tools: STREAM_TOOLS,
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const _ of s) {
    // drain
  }
}
