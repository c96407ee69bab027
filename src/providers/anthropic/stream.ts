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

/**
 * A content_block_delta (most events) of one text kind, `{"type":"content_block_delta","index":N,"delta":{"type":
 * "text_delta","text":"…"}}` exactly: content, its text counted as `onItem` counts it, unparsed. Others are parsed.
 */
const MESSAGES_PRECHECK: TextPrecheck = {
  kind(data, call) {
    if (!hasTextAt(data, 0, BLOCK_DELTA)) return undefined;
    const comma = data.indexOf(",", BLOCK_DELTA.length);
    if (comma < 0) return undefined;
    for (let i = BLOCK_DELTA.length; i < comma; i++) {
      const c = data.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
    }
    for (const prefix of DELTA_TEXT) {
      if (!hasTextAt(data, comma + 1, prefix)) continue;
      const text = jsonString(data, comma + 1 + prefix.length);
      if (text === undefined || text.end !== data.length - 3 || !data.endsWith('"}}')) return undefined;
      call.sawOutputLength(text.length);
      return "content";
    }
    return undefined;
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
