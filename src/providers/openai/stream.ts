import type { Call, StreamItem } from "../../calls/index.js";
import type { ResultObserver } from "../toolkit/api-promise.js";
import type { TextPrecheck } from "../toolkit/billable.js";
import { framedContentRun, jsonString, leadingType } from "../toolkit/event-text.js";
import { ChatChunkTemplate } from "./chunk-template.js";
import { chatUsage } from "./usage-chat.js";
import { responsesUsage } from "./usage-responses.js";

/** Per call: the choices a stream has started and those the provider finished (`finish_reason`). */
const choiceStates = new WeakMap<Call, { started: Set<number>; finished: Set<number> }>();

/**
 * Runs per chunk: a plain loop (no callback allocated per chunk). Counts the output text, and marks the reply
 * complete once every choice it started has its `finish_reason`: the usage chunk costtrail may have asked for
 * comes after that, and a stream stopped in between ended a reply the provider completed.
 */
function readChatChoices(chunk: any, call: Call): boolean {
  const choices = chunk?.choices;
  if (!Array.isArray(choices)) return false;
  let content = false;
  for (let i = 0; i < choices.length; i++) {
    const choice = choices[i];
    const delta = choice?.delta;
    if (delta && (delta.content || delta.tool_calls || delta.refusal)) {
      content = true;
      call.sawOutputText(delta.content);
      call.sawOutputText(delta.refusal);
      if (Array.isArray(delta.tool_calls))
        for (const tool of delta.tool_calls) call.sawOutputText(tool?.function?.arguments);
    }
    const index = typeof choice?.index === "number" ? choice.index : i;
    let state = choiceStates.get(call);
    if (!state) {
      state = { started: new Set(), finished: new Set() };
      choiceStates.set(call, state);
    }
    state.started.add(index);
    if (choice?.finish_reason) {
      state.finished.add(index);
      if (state.finished.size >= state.started.size) call.replyComplete = true;
    }
  }
  return content;
}

function readChatChunk(chunk: any, call: Call): StreamItem {
  if (chunk?.model) call.responseModel = chunk.model;
  if (chunk?.usage) call.reportUsage(chatUsage(chunk.usage, chunk.service_tier));
  return readChatChoices(chunk, call) ? "content" : "meta";
}

export const chatObserver: ResultObserver = {
  onResult(result, call) {
    if (result?.model) call.responseModel = result.model;
    if (result?.usage) call.reportUsage(chatUsage(result.usage, result.service_tier));
  },
  onItem: readChatChunk,
  textPrecheck: () => new ChatChunkTemplate(),
};

/** We asked for usage the user did not: hide the usage-only chunk and the `usage: null` on the others. */
export const chatObserverHidingUsage: ResultObserver = {
  onResult: chatObserver.onResult,
  rewritesItems: true,
  onItem(chunk, call) {
    const kind = readChatChunk(chunk, call);
    if (chunk && "usage" in chunk) {
      if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return "hidden";
      delete chunk.usage;
    }
    return kind;
  },
};

/**
 * The deltas (most events): no `response`, no error, one `delta` key whose string `onItem` counts; content,
 * unparsed. Others are parsed.
 */
const RESPONSES_PRECHECK: TextPrecheck = {
  kind(data, call) {
    const type = leadingType(data);
    if (!type?.endsWith(".delta") || data.includes('"response":') || data.includes('"error"'))
      return undefined;
    const key = data.indexOf('"delta":');
    if (key < 0 || data.indexOf('"delta":', key + 8) >= 0) return undefined;
    const text = jsonString(data, key + 8);
    if (text === undefined) return undefined;
    call.sawOutputLength(text.length);
    return "content";
  },
  contentRun: (text, from, call) => framedContentRun(text, from, call, RESPONSES_PRECHECK.kind),
};

export const responsesObserver: ResultObserver = {
  onResult(result, call) {
    if (result?.model) call.responseModel = result.model;
    if (result?.usage) call.reportUsage(responsesUsage(result.usage, result));
  },
  onItem(event, call) {
    const response = event?.response;
    if (response?.model) call.responseModel = response.model;
    if (response?.usage) call.reportUsage(responsesUsage(response.usage, response));
    // `response.incomplete` (max_output_tokens reached) is as final as `response.completed`.
    if (event?.type === "response.completed" || event?.type === "response.incomplete")
      call.replyComplete = true;
    const isDelta = typeof event?.type === "string" && event.type.endsWith(".delta");
    if (isDelta) call.sawOutputText(event.delta);
    return isDelta ? "content" : "meta";
  },
  textPrecheck: () => RESPONSES_PRECHECK,
};
