// The observers' text pre-checks (textPrecheck) must agree exactly with parsing: on every event they answer
// for, `onItem` of the parsed event says the same kind and reads nothing into the call. Checked on the mock
// provider's real streams and on hand-written chunks at the edges of what the text tests read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Call, type CallStart } from "../../src/calls/index.js";
import { messagesObserver } from "../../src/providers/anthropic/stream.js";
import type { ChatChunkTemplate } from "../../src/providers/openai/chunk-template.js";
import { chatObserver, responsesObserver } from "../../src/providers/openai/stream.js";
import type { ResultObserver, TextPrecheck } from "../../src/providers/toolkit/billable.js";
import { hasTextAt } from "../../src/providers/toolkit/event-text.js";
import { type MockProvider, startMockProvider } from "../../src/testing.js";

/** The chat observer's pre-check as what it is: `contentAt`, the one-event read `contentRun` is checked against. */
const chatTemplate = () => chatObserver.textPrecheck!() as ChatChunkTemplate;

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(() => mock.close());

const start: CallStart = {
  provider: "openai",
  operation: "chat",
  requestModel: "m",
  stream: true,
  headers: [],
  estimateInputTokens: () => 1,
};
// Only the observer's reads and writes of the call are used here; the call is never finished.
const newCall = () => new Call(undefined as never, start, {}, undefined);
const state = (call: Call) => ({
  responseModel: call.responseModel,
  usage: { ...call.usage },
  usageReported: call.usageReported,
  streamedChars: call.streamedChars,
  replyComplete: call.replyComplete,
});

/** The `data` of each SSE event of a stream body (`[DONE]` left out). */
function eventData(body: string): string[] {
  return body
    .split("\n\n")
    .map((block) =>
      block
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n"),
    )
    .filter((d) => d && d !== "[DONE]");
}

/**
 * Replays `events` through the observer as the body observer does (the pre-check first, parsing only when it
 * does not answer); for each answered event, a twin call parses it instead: same kind, same call. Returns how
 * many events the pre-check answered.
 */
function replay(observer: ResultObserver, events: string[]): number {
  const call = newCall();
  const precheck = observer.textPrecheck!();
  let answered = 0;
  for (const data of events) {
    const before = state(call);
    const kind = precheck.kind(data, call);
    if (kind === undefined) {
      expect(state(call)).toEqual(before);
      const item = JSON.parse(data);
      observer.onItem(item, call);
      precheck.parsed?.(data, item, call);
      continue;
    }
    const parsed = JSON.parse(data);
    // An error is never answered for: the body observer must see it parsed.
    expect({ data, error: parsed?.type === "error" || !!parsed?.error }).toEqual({ data, error: false });
    answered++;
    // A twin call in the state before, reading the parsed event: same kind, and the same call after.
    const twin = newCall();
    twin.responseModel = before.responseModel;
    Object.assign(twin.usage, before.usage);
    twin.usageReported = before.usageReported;
    twin.streamedChars = before.streamedChars;
    twin.replyComplete = before.replyComplete;
    expect({ data, kind: observer.onItem(parsed, twin) }).toEqual({ data, kind });
    expect({ data, state: state(twin) }).toEqual({ data, state: state(call) });
  }
  return answered;
}

async function body(url: string, request: object, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "Bearer test",
      "x-api-key": "test",
      ...headers,
    },
    body: JSON.stringify(request),
  });
  expect(response.ok).toBe(true);
  return response.text();
}

const messages = [{ role: "user", content: "Tell me a long story about ledgers and budgets." }];
const tools = [
  {
    type: "function",
    function: { name: "record", parameters: { type: "object", properties: { text: { type: "string" } } } },
  },
];

/** The start of a chat chunk's data (id, object, created, model), up to its choices. */
const CHAT_ENV = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06"';
/** A chat chunk's data with one choice of this `delta`, and an obfuscation string when given. */
const chatChunk = (delta: string, obfuscation?: string) =>
  `${CHAT_ENV},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":null}],"usage":null${obfuscation === undefined ? "" : `,"obfuscation":"${obfuscation}"`}}`;

/** The mock's streamed chat completion (a forced tool call, or text) as the SSE blocks of its body. */
async function servedChat(toolCall: boolean): Promise<string[]> {
  const request = {
    model: "gpt-4o-mini",
    messages,
    ...(toolCall ? { tools, tool_choice: "required" } : {}),
    stream: true,
    stream_options: { include_usage: true },
  };
  return eventData(await body(`${mock.openaiBaseURL}/chat/completions`, request)).map(
    (data) => `data: ${data}\n\n`,
  );
}

describe("textPrecheck agrees with parsing", () => {
  it("OpenAI chat: the mock's text and tool-call streams, most chunks answered from the text", async () => {
    for (const request of [
      { model: "gpt-4o-mini", messages, stream: true, stream_options: { include_usage: true } },
      { model: "gpt-4o", messages, stream: true },
      {
        model: "gpt-4o-mini",
        messages,
        tools,
        tool_choice: "required",
        stream: true,
        stream_options: { include_usage: true },
      },
    ]) {
      const events = eventData(await body(`${mock.openaiBaseURL}/chat/completions`, request));
      expect(events.length).toBeGreaterThan(3);
      // The first (model) and the usage chunk are parsed; the others need not be.
      expect(replay(chatObserver, events)).toBeGreaterThanOrEqual(events.length - 3);
    }
  });

  it("OpenAI chat: chunks at the edges of the text tests", () => {
    const env = CHAT_ENV;
    const choice = (delta: string, extra = "") =>
      `${env},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":null${extra}}],"usage":null}`;
    const chunks = [
      choice('{"role":"assistant","content":""}'),
      choice('{"content":"Hi"}'),
      choice('{"content":""}'),
      choice('{"content":null}'),
      choice('{"content":null,"refusal":"no"}'),
      choice('{"content":null,"refusal":""}'),
      choice('{"tool_calls":[]}'),
      choice('{"tool_calls":null}'),
      choice('{"tool_calls":[{"index":0,"function":{"arguments":"{\\"content\\":\\"x\\"}"}}]}'),
      choice("{}", ',"finish_reason":"stop"'),
      choice('{"content":"a \\"model\\":\\"other\\" \\"usage\\":{"}'),
      choice(
        '{"content":"Hi"}',
        ',"logprobs":{"content":[{"token":"Hi","logprob":0,"bytes":[72,105],"top_logprobs":[]}],"refusal":null}',
      ),
      choice(
        '{"content":null}',
        ',"logprobs":{"content":[{"token":"Hi","logprob":0,"bytes":[72,105],"top_logprobs":[]}],"refusal":null}',
      ),
      `${env},"choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":null}}],"usage":null}`,
      `${env},"choices":[{"index":0,"delta":{"content":null}}],"usage":null,"service_tier":"flex"}`,
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"x"}}]}',
      `${env.replace('"model":"', '"model": "')},"choices":[{"index":0,"delta":{"content":"x"}}]}`,
      `${env},"choices":[{"index":0,"delta":{"content":["x"]}}],"usage":null}`,
      `${env},"choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`,
      `${env},"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9,"total_tokens":12}}`,
      choice('{"content":"after usage"}'),
      `${env},"choices":[{"index":0,"delta":{"content":"ob"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"aZ3_"}`,
      `${env},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"q"}`,
      `${env},"choices":[{"index":0,"delta":{"content":"ob"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"a\\"b"}`,
      `${env},"choices":[{"index":0,"delta":{"content":"x"},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"obfuscation":"q"}`,
      choice('{"content":"Hi"}').replace("gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18"),
      choice('{"content":"again"}'),
      '{"error":{"message":"boom","type":"server_error"}}',
      `${env},"choices":[{"index":0,"delta":{"content":"x"},"logprobs":null,"finish_reason":null}],"usage":null,"error":{"message":"late"}}`,
      choice('{"content":"Hi"}').replace('"id":"c"', '"id":"d"'),
      choice('{"content":"Hi"}').replace('"id":"c"', '"id":"e"'),
      choice('{"content":"Hi"}').replace('"id":"c"', '"id":"f"'),
      choice('{"content":"Hi"}').replace('"id":"c"', '"id":"g"'),
      choice('{"content":"last"}'),
    ];
    expect(replay(chatObserver, chunks)).toBeGreaterThan(2);
    // Escapes and the tool-call argument deltas, in one stream of one frame.
    const frame = [
      choice(
        '{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":""}}]}',
      ),
      choice(
        '{"tool_calls":[{"index":0,"function":{"arguments":"{\\"text\\":\\"a\\\\n\\u00e9\\ud83d\\ude00"}}]}',
      ),
      choice('{"tool_calls":[{"index":12,"function":{"arguments":""}}]}'),
      choice(
        '{"tool_calls":[{"index":0,"function":{"arguments":"x"}},{"index":1,"function":{"arguments":"y"}}]}',
      ),
      choice('{"tool_calls":[{"index":0,"function":{"arguments":"x","name":"g"}}]}'),
      choice('{"content":"caf\\u00e9 \\"quoted\\" \\\\ end"}'),
      choice('{"content":"é ünïcode 😀"}'),
      choice('{"refusal":"no"}'),
      choice('{"content":"x","refusal":"y"}'),
      choice('{"content":""}'),
      choice("{}"),
      choice("{}", ',"finish_reason":"stop"'),
    ];
    expect(replay(chatObserver, frame)).toBeGreaterThanOrEqual(6);
  });

  it("OpenAI chat: chunks of a learned delta shape with other texts, and chunks that only look like them", () => {
    const env = CHAT_ENV;
    const obfuscated = (delta: string, obfuscation: string) =>
      `${env},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"${obfuscation}"}`;
    const choice = (delta: string, extra = "") =>
      `${env},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":null${extra}}],"usage":null}`;
    const args = (index: number, text: string) =>
      choice(`{"tool_calls":[{"index":${index},"function":{"arguments":"${text}"}}]}`);
    for (const shape of [choice, (d: string) => obfuscated(d, "aZ3_")]) {
      const chunks = [
        shape('{"role":"assistant","content":""}'),
        shape('{"content":"Hi"}'),
        shape('{"content":" there"}'),
        shape('{"content":"\\"quoted\\" \\\\ \\n \\u00e9"}'),
        shape('{"content":""}'),
        shape('{"content":"x","refusal":"y"}'),
        shape('{"content":"\\""}'),
        shape('{"content":"é ünïcode 😀"}'),
        shape('{"content":"line\\nbreak \\u00e9 \\\\"}'),
        // The same length as the shape's chunk: told apart by the text compared, not by where it ends.
        shape('{"content":"Hi"}').replace('"finish_reason":null', '"finish_reason":"ok"'),
        shape('{"content":"Hi"}').replace('"finish_reason":null', '"finish_reason":"stop"'),
        shape('{"content":"Hi"}').replace(
          '"usage":null',
          '"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}',
        ),
        obfuscated('{"content":"ob"}', 'a\\"b'),
        obfuscated('{"content":"ob"}', "a\\\\b"),
        obfuscated('{"content":"ob"}', ""),
        `${choice('{"content":"Hi"}').slice(0, -1)},"service_tier":"flex"}`,
        choice('{"content":"Hi"}', ',"extra":1'),
        `${choice('{"content":"Hi"}')} `,
        choice('{"content":"Hi"}').replace('"id":"c"', '"id":"d"'),
        shape('{"content":"after"}'),
        args(0, ""),
        args(0, '{\\"text\\":'),
        args(0, ""),
        args(1, "x"),
        args(0, "y"),
        args(0, '\\"'),
        shape('{"content":"Hi"}'),
        shape("{}"),
        shape('{"content":"last"}'),
        // Another model (the same length too): parsed, and what follows is read against that.
        shape('{"content":"Hi"}').replace("2024-08-06", "2024-08-07"),
        shape('{"content":"Hi"}').replace('"model":"gpt-4o-2024-08-06"', '"model":"gpt-4o-mini"'),
        shape('{"content":"Hi"}'),
      ];
      expect(replay(chatObserver, chunks)).toBeGreaterThanOrEqual(12);
    }
  });

  it("OpenAI chat: events read in place in the received text (contentAt) agree with their data read by kind", async () => {
    const choice = chatChunk;
    const blocks = [
      `data: ${choice('{"role":"assistant","content":""}')}\n\n`,
      `data: ${choice('{"content":"Hi"}')}\n\n`,
      `data: ${choice('{"content":" there"}')}\n\n`,
      `data: ${choice('{"content":"a\\"b\\\\c\\n"}')}\n\n`,
      `data: ${choice('{"content":"Hi"}', "aZ3_")}\n\n`,
      `data: ${choice('{"content":"Hi"}', "a\\\\b")}\n\n`,
      `data: ${choice('{"content":"x"}')}\nid: 7\n\n`,
      `event: message\ndata: ${choice('{"content":"x"}')}\n\n`,
      `data:${choice('{"content":"x"}')}\n\n`,
      `data: ${choice('{"content":"x"}')}\n\n`,
      `: keep-alive\n\n`,
      `data: ${choice('{"content":""}')}\n\n`,
      // Frames learned until the template learns no more, then another model: the frame's chunks are parsed.
      `data: ${choice('{"content":"x"}').replace('"id":"c"', '"id":"d"')}\n\n`,
      `data: ${choice('{"content":"x"}').replace('"id":"c"', '"id":"e"')}\n\n`,
      `data: ${choice('{"content":"x"}').replace('"id":"c"', '"id":"e"')}\n\n`,
      `data: ${choice('{"content":"x"}').replace('"id":"c"', '"id":"e"')}\n\n`,
      `data: ${choice('{"content":"Hi"}').replace('"id":"c"', '"id":"e"').replace("2024-08-06", "2024-08-07")}\n\n`,
      `data: ${choice('{"content":"x"}').replace('"id":"c"', '"id":"e"')}\n\n`,
      `data: ${choice('{"content":"last"}').replace('"id":"c"', '"id":"e"')}\n\n`,
    ];
    const served = await servedChat(true);
    for (const stream of [blocks, served]) {
      const text = stream.join("");
      const byData = newCall();
      const inPlace = newCall();
      const a = chatTemplate();
      const b = chatTemplate();
      const read = (precheck: typeof a, call: Call, data: string) => {
        const kind = precheck.kind(data, call);
        if (kind !== undefined) return kind;
        const item = JSON.parse(data);
        const parsed = chatObserver.onItem(item, call);
        precheck.parsed?.(data, item, call);
        return parsed;
      };
      let from = 0;
      let inPlaceRead = 0;
      for (const block of stream) {
        const data = eventData(block)[0];
        const kind = data === undefined ? undefined : read(a, byData, data);
        const next = b.contentAt(text, from, inPlace);
        if (next > 0) {
          inPlaceRead++;
          expect({ block, next, kind }).toEqual({ block, next: from + block.length, kind: "content" });
          expect(block.startsWith("data: {")).toBe(true);
        } else if (data !== undefined) read(b, inPlace, data);
        expect({ block, state: state(inPlace) }).toEqual({ block, state: state(byData) });
        from += block.length;
      }
      // The blocks: " there", the escapes, the obfuscated one, the "x" after them, frame e's second and third "x".
      if (stream === blocks) expect(inPlaceRead).toBe(6);
      else expect(inPlaceRead).toBeGreaterThanOrEqual(stream.length - 5);
    }
    // Declined: a line feed inside the string, an event not ended yet, a text that is not the shape's.
    const c = chatTemplate();
    const call = newCall();
    for (const block of blocks.slice(0, 3)) {
      const data = eventData(block)[0]!;
      if (c.kind(data, call) === undefined) {
        const item = JSON.parse(data);
        chatObserver.onItem(item, call);
        c.parsed?.(data, item, call);
      }
    }
    const shown = `data: ${choice('{"content":"ok"}')}\n\n`;
    expect(c.contentAt(shown, 0, call)).toBe(shown.length);
    for (const text of [
      `data: ${choice('{"content":"a\nb"}')}\n\n`,
      `data: ${choice('{"content":"ok"}')}\n`,
      `data: ${choice('{"content":"ok"}')}`,
      `data: ${choice('{"content":"ok"}')}}\n\n`,
      `data: ${choice('{"content":"ok"}', "a\nb")}\n\n`,
      `data: ${choice('{"content":"ok"}', 'a"b')}\n\n`,
      `data: ${choice('{"content":"ok"}').replace("null}]", "null }]")}\n\n`,
    ])
      expect({ text, at: c.contentAt(text, 0, call) }).toEqual({ text, at: -1 });
    expect(c.contentAt(`x${shown}`, 1, call)).toBe(shown.length + 1);
  });

  it("OpenAI chat: a run of events read in place (contentRun) is exactly contentAt event by event, cut anywhere", async () => {
    const choice = chatChunk;
    const args = (text: string) => `{"tool_calls":[{"index":0,"function":{"arguments":"${text}"}}]}`;
    const blocks = [
      `data: ${choice('{"role":"assistant","content":""}')}\n\n`,
      `data: ${choice('{"content":"Hi"}')}\n\n`,
      `data: ${choice('{"content":" there"}')}\n\n`,
      `data: ${choice('{"content":"a\\"b\\\\c\\n"}')}\n\n`,
      `data: ${choice('{"content":"Hi"}', "aZ3_")}\n\n`,
      `data: ${choice('{"content":"Hi"}', "aZ")}\n\n`,
      `data: ${choice('{"content":"Hi"}')}\n\n`,
      `data: ${choice('{"content":"Hi"}', "a\\\\b")}\n\n`,
      `data: ${choice('{"content":"a long string of more than thirty-two characters"}')}\n\n`,
      `data: ${choice('{"content":"a long string, \\"escaped\\", of more than thirty-two characters"}')}\n\n`,
      `data: ${choice('{"content":"x"}')}\nid: 7\n\n`,
      `data: ${choice('{"content":"x"}')}\n\n`,
      `data: ${choice('{"content":""}')}\n\n`,
      `data: ${choice('{"content":"y"}')}\n\n`,
      `data: ${choice('{"content":"y"}').replace("null}]", "null }]")}\n\n`,
      `data: ${choice('{"content":"z"}')}\n\n`,
      `data: ${choice('{"content":"\\u00e9t\\u00e9"}')}\n\n`,
      `data: ${choice('{"content":"z"}')}\n\n`,
      `data: ${choice(args(""))}\n\n`,
      `data: ${choice(args('{\\"a'))}\n\n`,
      `data: ${choice(args(""))}\n\n`,
      `data: ${choice(args("1}"))}\n\n`,
      `data: ${choice('{"content":"after"}')}\n\n`,
      `data: ${choice('{"content":"after"}').replace("2024-08-06", "2024-08-07")}\n\n`,
      `data: ${choice('{"content":"after"}')}\n\n`,
    ];
    const served = await servedChat(true);
    const prose = await servedChat(false);
    // The text stream again, every chunk with an obfuscation string of its own length (as OpenAI sends them).
    const obfuscated = prose.map((block, i) =>
      block.replace(/}\n\n$/, `,"obfuscation":"${"k".repeat(i % 7)}"}\n\n`),
    );
    const read = (precheck: TextPrecheck, call: Call, data: string) => {
      if (precheck.kind(data, call) !== undefined) return;
      const item = JSON.parse(data);
      chatObserver.onItem(item, call);
      precheck.parsed?.(data, item, call);
    };
    const full = (call: Call) => ({ ...state(call), streamedItems: call.streamedItems });
    for (const stream of [blocks, served, prose, obfuscated]) {
      const whole = stream.join("");
      // Cut anywhere: the text received so far, its last event maybe not ended yet.
      for (const cut of [
        whole.length,
        whole.length - 1,
        whole.length - 3,
        Math.floor(whole.length / 2),
        700,
      ]) {
        const text = whole.slice(0, cut);
        const one = newCall();
        const run = newCall();
        const a = chatTemplate();
        const b = chatTemplate();
        let from = 0;
        let inPlace = 0;
        for (let k = 0; k < stream.length; ) {
          const block = stream[k]!;
          if (from + block.length > text.length) break;
          // At each event boundary: contentAt one event at a time, and contentRun at once, from the same state.
          let at = from;
          for (let next = a.contentAt(text, at, one); next > 0; next = a.contentAt(text, at, one)) {
            one.sawItem(true);
            at = next;
          }
          const ran = b.contentRun!(text, from, run);
          expect({ block, ran, state: full(run) }).toEqual({ block, ran: at, state: full(one) });
          // Whole events were read in place; the next one (not answered in place) is read from its data.
          const was = k;
          for (let to = from; to < at; k++) to += stream[k]!.length;
          inPlace += k - was;
          if (at > from) {
            expect(stream.slice(0, k).join("").length).toBe(at);
            from = at;
            continue;
          }
          const data = eventData(block)[0];
          if (data !== undefined) {
            read(a, one, data);
            read(b, run, data);
          }
          from += block.length;
          k++;
        }
        expect(full(run)).toEqual(full(one));
        // The blocks: all but the parsed, the declined and the first of each shape; the mock's text: most events.
        if (cut === whole.length)
          expect(inPlace).toBeGreaterThanOrEqual(stream === blocks ? 12 : stream.length - 6);
      }
    }
  });

  it("OpenAI Responses: the mock's stream, deltas answered from the text", async () => {
    const events = eventData(
      await body(`${mock.openaiBaseURL}/responses`, {
        model: "gpt-4o-mini",
        input: "Tell me a story",
        stream: true,
      }),
    );
    const deltas = events.filter((d) => d.includes('.delta"')).length;
    expect(deltas).toBeGreaterThan(2);
    expect(replay(responsesObserver, events)).toBe(deltas);
    expect(
      replay(responsesObserver, [
        '{"type":"response.output_text.delta","delta":"x","response":{"model":"m"}}',
        '{"type":"response.output_text.done","text":"x"}',
        '{"type":"response.x\\".delta","delta":"x"}',
        '{ "type":"response.output_text.delta","delta":"x"}',
      ]),
    ).toBe(0);
  });

  it("Anthropic: the mock's stream, content_block_delta answered from the text", async () => {
    const events = eventData(
      await body(
        `${mock.anthropicBaseURL}/v1/messages`,
        { model: "claude-sonnet-4-5", max_tokens: 200, messages, stream: true },
        { "anthropic-version": "2023-06-01" },
      ),
    );
    const deltas = events.filter((d) => d.startsWith('{"type":"content_block_delta"')).length;
    expect(deltas).toBeGreaterThan(2);
    expect(replay(messagesObserver, events)).toBe(deltas);
    expect(
      replay(messagesObserver, [
        '{"type":"content_block_deltas","index":0}',
        '{"type":"message_delta","usage":{"output_tokens":3}}',
      ]),
    ).toBe(0);
  });
});

describe("events read in place (contentRun) by the pre-checks of named events (Anthropic, OpenAI Responses)", () => {
  /** An SSE block's event name and data, as the body observer reads them (event-stream-body.ts `readEvent`). */
  const fields = (block: string) => {
    let event: string | undefined;
    let data: string | undefined;
    for (const line of block.split("\n")) {
      if (line.startsWith("data:"))
        data = data === undefined ? line.slice(5).trimStart() : `${data}\n${line.slice(5).trimStart()}`;
      else if (line.startsWith("event:")) event = line.slice(6).trim();
    }
    return { event, data };
  };
  /** One block read the plain way, as `readEvent` does: the pre-check on its data, else parsed and read by `onItem`. */
  const readBlock = (observer: ResultObserver, precheck: TextPrecheck, call: Call, block: string) => {
    const { event, data } = fields(block);
    if (data === undefined || event?.startsWith("thread.")) return;
    const kind = event === "error" ? undefined : precheck.kind(data, call);
    if (kind !== undefined) return call.sawItem(kind === "content");
    let item: unknown;
    try {
      item = JSON.parse(data);
    } catch {
      return;
    }
    if (event === "error") return;
    call.sawItem(observer.onItem(item, call) === "content");
  };
  const full = (call: Call) => ({ ...state(call), streamedItems: call.streamedItems });
  /** The SSE blocks of a mock provider's stream. */
  const served = async (url: string, request: object, headers?: Record<string, string>) =>
    (await body(url, request, headers))
      .split("\n\n")
      .filter(Boolean)
      .map((block) => `${block}\n\n`);
  /**
   * `stream` read as the body observer reads it, cut anywhere: `contentRun` at each event boundary, the plain
   * reading where it reads nothing; against a plain reading of every event. Returns how many events of the whole
   * stream were read in place.
   */
  const compareRuns = (observer: ResultObserver, stream: string[]): number => {
    const precheck = observer.textPrecheck!();
    const whole = stream.join("");
    let inPlaceWhole = 0;
    for (const cut of [whole.length, whole.length - 1, whole.length - 3, Math.floor(whole.length / 2), 700]) {
      const text = whole.slice(0, cut);
      const one = newCall();
      const run = newCall();
      let from = 0;
      let inPlace = 0;
      for (let k = 0; k < stream.length; ) {
        if (from + stream[k]!.length > text.length) break;
        const at = precheck.contentRun!(text, from, run);
        if (at > from) {
          // Whole events only, each counted as reading it does.
          const was = k;
          for (let to = from; to < at; k++) {
            readBlock(observer, precheck, one, stream[k]!);
            to += stream[k]!.length;
          }
          inPlace += k - was;
          expect(stream.slice(0, k).join("").length).toBe(at);
          from = at;
          continue;
        }
        readBlock(observer, precheck, one, stream[k]!);
        readBlock(observer, precheck, run, stream[k]!);
        from += stream[k]!.length;
        k++;
      }
      expect({ cut, state: full(run) }).toEqual({ cut, state: full(one) });
      if (cut === whole.length) inPlaceWhole = inPlace;
    }
    return inPlaceWhole;
  };
  /** No event of `blocks` read in place alone, and nothing read into the call. */
  const readsNone = (observer: ResultObserver, blocks: string[]) => {
    const precheck = observer.textPrecheck!();
    for (const block of blocks) {
      const call = newCall();
      expect({ block, at: precheck.contentRun!(block, 0, call) }).toEqual({ block, at: 0 });
      expect(full(call)).toEqual(full(newCall()));
    }
  };

  const delta = (index: string, type: string, key: string, text: string) =>
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"${type}","${key}":"${text}"}}\n\n`;
  const textDelta = (text: string) => delta("0", "text_delta", "text", text);
  const blocks = [
    'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":11,"output_tokens":1}}}\n\n',
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
    'event: ping\ndata: {"type":"ping"}\n\n',
    textDelta("Hi"),
    textDelta(" there"),
    textDelta('a\\"b\\\\c\\n'),
    textDelta("\\u00e9t\\u00e9"),
    textDelta(""),
    textDelta("x".repeat(80)),
    delta("12", "text_delta", "text", "y"),
    delta("", "text_delta", "text", "empty index"),
    delta("1", "input_json_delta", "partial_json", '{\\"a\\":'),
    delta("2", "thinking_delta", "thinking", "hmm"),
    delta("2", "signature_delta", "signature", "c2ln"),
    textDelta("z").replace("data: ", "data:  "),
    textDelta("z").replace("content_block_delta\n", "content_block_delta \n"),
    textDelta("z").replace("\n\n", "\nid: 7\n\n"),
    textDelta("z").replace(/^(event: .*)\n(data: .*)\n/, "$2\n$1\n"),
    textDelta("two\nlines"),
    textDelta("z").replace('"}}', '"} }'),
    textDelta("after"),
    textDelta("after"),
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ];

  it("Anthropic: counts what reading each event does, on hand-written events and the mock's stream, cut anywhere", async () => {
    const deltas = (stream: string[]) =>
      stream.filter((b) => b.startsWith("event: content_block_delta")).length;
    // The hand-written deltas: all but the six framed or typed otherwise (parsed, or declined).
    expect(compareRuns(messagesObserver, blocks)).toBe(deltas(blocks) - 6);
    const mockStream = await served(
      `${mock.anthropicBaseURL}/v1/messages`,
      { model: "claude-sonnet-4-5", max_tokens: 200, messages, stream: true },
      { "anthropic-version": "2023-06-01" },
    );
    expect(deltas(mockStream)).toBeGreaterThan(2);
    expect(compareRuns(messagesObserver, mockStream)).toBe(deltas(mockStream));
  });

  it("Anthropic: reads nothing from an event it does not answer for", () => {
    readsNone(
      messagesObserver,
      blocks.filter((b) => !b.startsWith("event: content_block_delta\ndata: {")),
    );
    const call = newCall();
    const precheck = messagesObserver.textPrecheck!();
    expect(precheck.contentRun!(`x${textDelta("Hi")}`, 1, call)).toBe(textDelta("Hi").length + 1);
    expect(call.streamedChars).toBe(2);
  });

  const responsesDelta = (text: string, name = "response.output_text.delta") =>
    `event: ${name}\ndata: {"type":"${name}","item_id":"msg_1","output_index":0,"content_index":0,"delta":"${text}","sequence_number":4}\n\n`;
  const responsesBlocks = [
    'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_1","model":"gpt-4o-mini","usage":null}}\n\n',
    responsesDelta("Hi"),
    responsesDelta(" there"),
    responsesDelta('a\\"b\\n'),
    responsesDelta(""),
    responsesDelta('{\\"a\\":1}', "response.function_call_arguments.delta"),
    responsesDelta("z").replace("event: response.output_text.delta", "event:  response.output_text.delta"),
    responsesDelta("z").replace("output_text.delta\n", "output_text.delta \n"),
    responsesDelta("z").replace("data: {", "data:  {"),
    responsesDelta("z").replace("\n\n", "\nid: 9\n\n"),
    responsesDelta("z", "thread.message.delta"),
    responsesDelta("z", "error"),
    responsesDelta("two\nlines"),
    responsesDelta("after"),
    'event: response.output_text.done\ndata: {"type":"response.output_text.done","text":"Hi there"}\n\n',
    'event: response.completed\ndata: {"type":"response.completed","response":{"id":"resp_1","model":"gpt-4o-mini","usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}}}\n\n',
  ];

  it("OpenAI Responses: counts what reading each event does, on hand-written events and the mock's stream, cut anywhere", async () => {
    const deltas = (stream: string[]) =>
      stream.filter((b) => /^event: response\.[a-z_.]*\.delta\n/.test(b)).length;
    // The hand-written deltas: all but the three whose data is not one `data: {` line and the blank line.
    expect(compareRuns(responsesObserver, responsesBlocks)).toBe(deltas(responsesBlocks) - 3);
    const mockStream = await served(`${mock.openaiBaseURL}/responses`, {
      model: "gpt-4o-mini",
      input: "Tell me a story",
      stream: true,
    });
    expect(deltas(mockStream)).toBeGreaterThan(2);
    expect(compareRuns(responsesObserver, mockStream)).toBe(deltas(mockStream));
  });

  it("OpenAI Responses: reads nothing from an event it does not answer for", () => {
    readsNone(
      responsesObserver,
      responsesBlocks.filter(
        (b) =>
          !/^event: response\.[a-z_.]*\.delta\ndata: \{/.test(b) ||
          b.includes("two\nlines") ||
          b.includes("id: 9"),
      ),
    );
  });
});

describe("hasTextAt", () => {
  it("answers as startsWith with a position, at the edges too", () => {
    const text = 'data: {"a":"é😀"}';
    const parts = ["", "d", "data: ", '{"a"', "😀", '"}', "}", "x", text, `${text}x`];
    for (let at = -1; at <= text.length; at++)
      for (const part of parts)
        expect(hasTextAt(text, at, part), `${at} ${part}`).toBe(at >= 0 && text.startsWith(part, at));
  });
});
