// The compatibility suite (issue 18): small programs in the style of the SDKs' own examples, each run bare and
// then instrumented against the mock provider. Asserted for every program: the same output and the same error
// (class, message, status, the caller's stack frame), exactly one event per billable request with the usage
// the mock sent and the status the program's ending calls for, and no x-costtrail-* header at the provider. `bash test/compat/run.sh` runs it on the oldest
// and newest SDK versions of the matrix; a program whose API a version lacks says so and is skipped there.
import Anthropic from "@anthropic-ai/sdk";
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { ChatOpenAI } from "@langchain/openai";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHeaders, type Instrumentation, instrument, type UsageEvent } from "../../src/index.js";
import { CostTrailCallbackHandler } from "../../src/providers/langchain/index.js";
import { type MockProvider, type MockUsage, startMockProvider } from "../../src/testing.js";
import { stable } from "../support/harness.js";

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(() => mock.close());

const SKIP = Symbol("skip");
interface Clients {
  openai: OpenAI;
  anthropic: Anthropic;
  bedrock: BedrockRuntimeClient;
}
type Program = (c: Clients) => Promise<unknown>;

const tagged = () => ({ headers: createHeaders({ userId: "compat", requestTags: ["example"] }) });
const messages = [{ role: "user" as const, content: "Write a short note about invoices and ledgers." }];
const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

async function drain(iterable: AsyncIterable<unknown>, stopAfter = Number.POSITIVE_INFINITY) {
  const items: unknown[] = [];
  for await (const item of iterable) {
    items.push(item);
    if (items.length >= stopAfter) break;
  }
  return items;
}

const Note = z.object({ title: z.string(), lines: z.array(z.string()) });

// Named functions: an error's stack must still name the program that awaited the call.
const programs: Record<string, Program> = {
  async chat({ openai }) {
    return openai.chat.completions.create({ model: "gpt-4o-mini", messages }, tagged());
  },
  async streamingWithBreak({ openai }) {
    mock.enqueueFault({ chunkDelayMs: 15 }); // a generation under way when the loop stops
    const stream = await openai.chat.completions.create({ model: "gpt-4o", messages, stream: true });
    return drain(stream, 3);
  },
  async streamingHelper({ openai }) {
    const runner = openai.chat.completions.stream({ model: "gpt-4o", messages });
    let text = "";
    runner.on("content", (delta) => {
      text += delta;
    });
    const final = await runner.finalChatCompletion();
    return { text, final };
  },
  async tools({ openai }) {
    const ask = [{ role: "user" as const, content: "What is the weather in Paris?" }];
    const first = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: ask,
      tools: [weatherTool],
    });
    const call = first.choices[0]!.message.tool_calls![0]! as { id: string };
    const second = await openai.chat.completions.create({
      model: "gpt-4o",
      tools: [weatherTool],
      messages: [
        ...ask,
        first.choices[0]!.message,
        { role: "tool" as const, tool_call_id: call.id, content: "sunny" },
      ],
    });
    // The second reply depends on the tool call's random id: its shape is what must match.
    return [first, second.choices[0]?.finish_reason, second.choices[0]?.message.role];
  },
  async toolRunner({ openai }) {
    const runTools = (openai.chat.completions as any).runTools;
    if (typeof runTools !== "function") return SKIP;
    const runner = runTools.call(openai.chat.completions, {
      model: "gpt-4o",
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: [
        {
          type: "function",
          function: { ...weatherTool.function, function: () => "sunny", parse: JSON.parse },
        },
      ],
    });
    return typeof (await runner.finalContent());
  },
  async structuredOutputs({ openai }) {
    return openai.chat.completions.parse({
      model: "gpt-4o",
      messages,
      response_format: {
        type: "json_schema",
        json_schema: { name: "note", schema: { type: "object", properties: { title: { type: "string" } } } },
      },
    });
  },
  async structuredOutputStream({ openai }) {
    const runner = openai.chat.completions.stream({
      model: "gpt-4o",
      messages,
      response_format: zodResponseFormat(Note, "note"),
    });
    let text = "";
    runner.on("content", (delta) => {
      text += delta;
    });
    for await (const _ of runner) {
      // drain
    }
    const final = await runner.finalChatCompletion();
    return { text, parsed: final.choices[0]?.message.parsed };
  },
  async structuredStreamBreakAtFinish({ openai }) {
    mock.enqueueFault({ chunkDelayMs: 15 }); // the usage chunk has not arrived when the loop stops
    const stream = await openai.chat.completions.create({
      model: "gpt-4o",
      messages,
      response_format: zodResponseFormat(Note, "note"),
      stream: true,
    });
    const chunks: unknown[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      if (chunk.choices[0]?.finish_reason) break; // the last chunk the user sees: the reply is whole
    }
    return chunks;
  },
  async responses({ openai }) {
    const plain = await openai.responses.create({ model: "gpt-4o", input: "Hello there" });
    const streamed = await drain(
      await openai.responses.create({ model: "gpt-4o", input: "Hi", stream: true }),
    );
    const beta = (openai as any).beta?.responses;
    const viaBeta = beta ? await beta.create({ model: "gpt-4o", input: "Hello beta" }) : null;
    return { plain, streamed, viaBeta };
  },
  async embeddings({ openai }) {
    return openai.embeddings.create({ model: "text-embedding-3-small", input: ["a b c", "d"] });
  },
  async rawPost({ openai }) {
    return openai.post("/chat/completions", { body: { model: "gpt-4o", messages }, ...tagged() });
  },
  async withResponse({ openai }) {
    const { data, response } = await openai.chat.completions
      .create({ model: "gpt-4o", messages })
      .withResponse();
    return { data, status: response.status, type: response.headers.get("content-type") };
  },
  async abortBeforeSend({ openai }) {
    const controller = new AbortController();
    controller.abort();
    return openai.chat.completions.create({ model: "gpt-4o", messages }, { signal: controller.signal });
  },
  async abortAfterSend({ openai }) {
    // Paced, as a generation under way: what an abort leaves unread must not depend on how reads coalesced.
    mock.enqueueFault({ chunkDelayMs: 15 });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: "gpt-4o", messages, stream: true },
      { signal: controller.signal },
    );
    const seen: unknown[] = [];
    for await (const chunk of stream) {
      seen.push(chunk);
      if (seen.length === 2) controller.abort();
    }
    return seen;
  },
  async errorWithRetries({ openai }) {
    mock.enqueueFault({ status: 500, times: 3 });
    return openai.withOptions({ maxRetries: 2 }).chat.completions.create({ model: "gpt-4o", messages });
  },
  async azureV1({ openai }) {
    const azure = new OpenAI({ baseURL: `${mock.url}/openai/v1`, apiKey: "test", maxRetries: 0 });
    void openai;
    return azure.chat.completions.create({ model: "gpt-4o", messages });
  },
  async anthropicMessages({ anthropic }) {
    mock.enqueueFault({ chunkDelayMs: 15 }); // the stream's: a generation under way when the loop stops
    const plain = await anthropic.messages.create(
      { model: "claude-haiku-4-5", max_tokens: 200, messages },
      tagged(),
    );
    const stream = await anthropic.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 200,
      messages,
      stream: true,
    });
    return { plain, events: await drain(stream, 4) };
  },
  async anthropicStreamHelper({ anthropic }) {
    const stream = anthropic.messages.stream({ model: "claude-haiku-4-5", max_tokens: 200, messages });
    return stream.finalMessage();
  },
  async anthropicCountTokens({ anthropic }) {
    if (typeof (anthropic.messages as any).countTokens !== "function") return SKIP;
    return (anthropic.messages as any).countTokens({ model: "claude-haiku-4-5", messages }, tagged());
  },
  async anthropicToolRunner({ anthropic }) {
    const runner = (anthropic as any).beta?.messages?.toolRunner;
    if (typeof runner !== "function") return SKIP;
    const run = runner.call((anthropic as any).beta.messages, {
      model: "claude-haiku-4-5",
      max_tokens: 300,
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      stream: true,
      tools: [
        {
          type: "custom",
          name: "get_weather",
          description: "Weather in a city",
          input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          run: async () => "sunny",
          parse: (input: unknown) => input,
        },
      ],
    });
    const turns: unknown[] = [];
    for await (const turn of run) {
      const events = (await drain(turn as AsyncIterable<unknown>)) as { type: string }[];
      turns.push([...new Set(events.map((e) => e.type))]);
    }
    return turns;
  },
  async bedrockStreams({ bedrock }) {
    const converse = await bedrock.send(
      new ConverseStreamCommand({
        modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        messages: [{ role: "user", content: [{ text: "Hello" }] }],
      }),
    );
    const converseEvents = await drain(converse.stream!);
    const invoke = await bedrock.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: "anthropic.claude-3-haiku-20240307-v1:0",
        contentType: "application/json",
        body: JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 100, messages }),
      }),
    );
    const chunks: unknown[] = [];
    for await (const event of invoke.body!) {
      if (event.chunk?.bytes) chunks.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)));
    }
    return { converseEvents, chunks };
  },
  async langchain() {
    const model = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "test",
      configuration: { baseURL: mock.openaiBaseURL },
      maxRetries: 0,
    });
    // The handler records the call when the SDK copy LangChain uses is not the one costtrail patched (a nested
    // copy, as when the matrix installs another openai major); else the SDK does. One event either way.
    const reply = await model.invoke("Say hello", { callbacks: [new CostTrailCallbackHandler()] });
    return reply.content;
  },
};

const BILLABLE = new Set(["chat", "responses", "embeddings", "messages", "converse", "invoke"]);

/** Each event's status and error type, where not every event is `ok`. */
const OUTCOMES: Record<string, [string, string?][]> = {
  // openai 7's Stream aborts its own request on a break before it releases the body: costtrail sees the abort.
  streamingWithBreak: [
    [
      "aborted",
      process.env["COSTTRAIL_COMPAT_OPENAI_MAJOR"] === "7" ? "APIUserAbortError" : "StreamClosedEarly",
    ],
  ],
  abortBeforeSend: [["aborted", "APIUserAbortError"]],
  abortAfterSend: [["aborted", "APIUserAbortError"]],
  errorWithRetries: [["error", "InternalServerError"]],
  anthropicMessages: [["ok"], ["aborted", "StreamClosedEarly"]],
};
/** Programs that stop reading before the usage chunk costtrail asked for: their `ok` event is estimated. */
const STOPS_BEFORE_USAGE = new Set(["structuredStreamBreakAtFinish"]);

async function outcome(program: Program, clients: Clients) {
  try {
    const value = await program(clients);
    return value === SKIP ? { skipped: true } : { ok: stable(value) };
  } catch (error) {
    const e = error as Error & { status?: number };
    return {
      error: {
        type: e.constructor.name,
        message: e.message,
        status: e.status,
        namesCaller: (e.stack ?? "").includes(program.name),
      },
    };
  }
}

function clientsFor(): Clients {
  return {
    openai: new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "test", maxRetries: 0 }),
    bedrock: new BedrockRuntimeClient({
      endpoint: mock.bedrockEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
      maxAttempts: 1,
    }),
  };
}

const VARYING = new Set([
  "id",
  "created",
  "created_at",
  "_request_id",
  "signature",
  "tool_call_id",
  "toolUseId",
  "item_id",
  "call_id",
  "completed_at",
]);

/** Fields that differ between two runs of the same program whatever costtrail does (ids, times). */
function sameRun(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v) => (VARYING.has(key) ? "<x>" : v)));
}

describe("compatibility suite: example programs, bare and instrumented", () => {
  for (const [name, program] of Object.entries(programs)) {
    it(name, async () => {
      mock.reset();
      const bareClients = clientsFor();
      const bare = await outcome(program, bareClients);
      bareClients.bedrock.destroy();
      if ("skipped" in bare) return; // this SDK version has no such API
      mock.reset();
      const events: UsageEvent[] = [];
      let handle: Instrumentation | undefined;
      try {
        handle = instrument({
          ledger: false,
          globalInstrumentation: false,
          logger: { warn: () => {}, error: () => {} },
          onEvent: (event) => {
            events.push(event);
          },
        });
        const clients = clientsFor();
        const instrumented = await outcome(program, clients);
        clients.bedrock.destroy();
        expect(sameRun(instrumented)).toEqual(sameRun(bare));
        // A retried request is one call (one event, attempts > 1); one aborted before it was sent sends nothing.
        const firstAttempts = mock.requests.filter(
          (r) => BILLABLE.has(r.operation) && (r.headers["x-stainless-retry-count"] ?? "0") === "0",
        );
        const expected = name === "abortBeforeSend" ? 1 : firstAttempts.length;
        for (let i = 0; i < 200 && events.length < expected; i++) await new Promise((r) => setTimeout(r, 5));
        await handle.shutdown();
        handle = undefined;
        if (name === "abortBeforeSend") expect(events).toMatchObject([{ status: "aborted", attempts: 0 }]);
        else expect(events).toHaveLength(expected);
        const outcomes = events.map((e) => (e.errorType ? [e.status, e.errorType] : [e.status]));
        expect(outcomes).toEqual(OUTCOMES[name] ?? events.map(() => ["ok"]));
        if (name === "errorWithRetries") expect(events[0]?.attempts).toBe(3);
        // An SDK helper that failed after the reply arrived (openai 5's zod helper on zod 4) stopped reading
        // before the usage chunk too.
        const estimated = STOPS_BEFORE_USAGE.has(name) || "error" in bare;
        events.forEach((event, i) => {
          if (event.status === "ok" && !estimated)
            expect(core(event.usage)).toEqual(core(firstAttempts[i]?.usage));
        });
        for (const r of mock.requests)
          expect(Object.keys(r.headers).filter((k) => k.startsWith("x-costtrail-"))).toEqual([]);
      } finally {
        await handle?.shutdown();
      }
    });
  }
});

type CoreKey = "inputTokens" | "outputTokens" | "cacheReadTokens" | "cacheWriteTokens" | "reasoningTokens";

/** The token counts both the mock and the event state (the mock's usage record has no extra dimensions). */
function core(u: Pick<MockUsage, CoreKey> | undefined) {
  return {
    inputTokens: u?.inputTokens,
    outputTokens: u?.outputTokens,
    cacheReadTokens: u?.cacheReadTokens,
    cacheWriteTokens: u?.cacheWriteTokens,
    reasoningTokens: u?.reasoningTokens,
  };
}
