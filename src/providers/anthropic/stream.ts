import type { Call } from "../../calls/index.js";
import type { ResultObserver } from "../toolkit/api-promise.js";
import type { TextPrecheck } from "../toolkit/billable.js";
import { hasTextAt, jsonString } from "../toolkit/event-text.js";
import { anthropicUsage, codeExecutionCalls, isCodeExecutionBlock } from "./usage.js";

/** Code-execution calls are counted from the content (usage has no field for them). */
function addCodeExecutions(call: Call, n: number): void {
  if (n === 0) return;
  const tools = call.usage.serverToolCalls ?? {};
  call.reportUsage({ serverToolCalls: { ...tools, codeExecution: (tools.codeExecution ?? 0) + n } });
}

/** `"delta":{"type":…,"<key>":` of the content_block_delta kinds whose text `onItem` counts. */
const DELTA_TEXT = [
  '"delta":{"type":"text_delta","text":',
  '"delta":{"type":"input_json_delta","partial_json":',
  '"delta":{"type":"thinking_delta","thinking":',
];
const BLOCK_DELTA = '{"type":"content_block_delta","index":';

/** The SSE framing of a content_block_delta event up to its data: where `contentRun` reads an event in place. */
const DELTA_EVENT = `event: content_block_delta\ndata: ${BLOCK_DELTA}`;
/** The text after a delta's string: the delta and the event close, then the blank line. */
const DELTA_EVENT_END = '"}}\n\n';

/** The decoded length of the string `deltaTextAt` read last (a module variable: no object per event). */
let deltaLength = 0;

/**
 * The closing quote of a content_block_delta's text, the text from `at` being the index's digits after
 * BLOCK_DELTA, then `,` and one of DELTA_TEXT with its JSON string; its decoded length in `deltaLength`. Else -1.
 */
function deltaTextAt(text: string, at: number): number {
  const comma = text.indexOf(",", at);
  if (comma < 0) return -1;
  for (let i = at; i < comma; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  for (const prefix of DELTA_TEXT) {
    if (!hasTextAt(text, comma + 1, prefix)) continue;
    const string = jsonString(text, comma + 1 + prefix.length);
    if (string === undefined) return -1;
    deltaLength = string.length;
    return string.end;
  }
  return -1;
}

/**
 * A content_block_delta (most events) of one text kind, `{"type":"content_block_delta","index":N,"delta":{"type":
 * "text_delta","text":"…"}}` exactly: content, its text counted as `onItem` counts it, unparsed. Others are parsed.
 */
const MESSAGES_PRECHECK: TextPrecheck = {
  kind(data, call) {
    if (!hasTextAt(data, 0, BLOCK_DELTA)) return undefined;
    const close = deltaTextAt(data, BLOCK_DELTA.length);
    if (close < 0 || close !== data.length - 3 || !data.endsWith('"}}')) return undefined;
    call.sawOutputLength(deltaLength);
    return "content";
  },
  /**
   * The events `kind` answers for, read in place while each is exactly `event: content_block_delta`, one data
   * line and the blank line (as Anthropic sends them): no event text is sliced out, none split into lines.
   */
  contentRun(text, from, call) {
    let at = from;
    // Counted when the run ends: nothing is counted if it throws (its events are then read as usual).
    let items = 0;
    let chars = 0;
    for (;;) {
      if (text.slice(at, at + DELTA_EVENT.length) !== DELTA_EVENT) break;
      const close = deltaTextAt(text, at + DELTA_EVENT.length);
      // The data is one line ending just after the string (no line feed inside it), then the blank line.
      if (close < 0 || text.slice(close, close + DELTA_EVENT_END.length) !== DELTA_EVENT_END) break;
      if (text.indexOf("\n", at + DELTA_EVENT.length) !== close + 3) break;
      items++;
      chars += deltaLength;
      at = close + DELTA_EVENT_END.length;
    }
    if (items > 0) {
      call.sawOutputLength(chars);
      call.sawItems(items);
    }
    return at;
  },
};

/** A Message, or the events of its stream: `message_start` (model, input usage), `message_delta` (output). */
export const messagesObserver: ResultObserver = {
  onResult(message, call) {
    if (message?.model) call.responseModel = message.model;
    if (message?.usage) call.reportUsage(anthropicUsage(message.usage));
    addCodeExecutions(call, codeExecutionCalls(message?.content));
  },
  onItem(event, call) {
    if (event?.type === "message_start") {
      if (event.message?.model) call.responseModel = event.message.model;
      if (event.message?.usage) call.reportUsage(anthropicUsage(event.message.usage));
    } else if (event?.type === "message_delta") {
      if (event.usage) call.reportUsage(anthropicUsage(event.usage, call.usage));
      // The reply's last word and its final output count; only message_stop follows.
      if (event.delta?.stop_reason) call.replyComplete = true;
    } else if (event?.type === "message_stop") {
      call.replyComplete = true;
    } else if (event?.type === "content_block_start" && isCodeExecutionBlock(event.content_block)) {
      addCodeExecutions(call, 1);
    }
    if (event?.type !== "content_block_delta") return "meta";
    const delta = event.delta;
    call.sawOutputText(delta?.text ?? delta?.partial_json ?? delta?.thinking);
    return "content";
  },
  textPrecheck: () => MESSAGES_PRECHECK,
};
