import type { Call, StreamItem } from "../../calls/index.js";
import type { ResultObserver } from "../toolkit/api-promise.js";
import type { TextPrecheck } from "../toolkit/billable.js";
import { leadingType } from "../toolkit/event-text.js";
import { ChatChunkTemplate } from "./chunk-template.js";
import { chatUsage } from "./usage-chat.js";
import { responsesUsage } from "./usage-responses.js";

/** Runs per chunk: a plain loop (no callback allocated per chunk). */
function chatChunkIsContent(chunk: any): boolean {
  const choices = chunk?.choices;
  if (!Array.isArray(choices)) return false;
  for (let i = 0; i < choices.length; i++) {
    const delta = choices[i]?.delta;
    if (delta && (delta.content || delta.tool_calls || delta.refusal)) return true;
  }
  return false;
}

function readChatChunk(chunk: any, call: Call): StreamItem {
  if (chunk?.model) call.responseModel = chunk.model;
  if (chunk?.usage) call.reportUsage(chatUsage(chunk.usage, chunk.service_tier));
  return chatChunkIsContent(chunk) ? "content" : "meta";
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

/** The deltas (most events) carry no `response` and are no error: content, unparsed. Others are parsed. */
const RESPONSES_PRECHECK: TextPrecheck = {
  kind(data) {
    const type = leadingType(data);
    return type?.endsWith(".delta") && !data.includes('"response":') && !data.includes('"error"')
      ? "content"
      : undefined;
  },
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
    return typeof event?.type === "string" && event.type.endsWith(".delta") ? "content" : "meta";
  },
  textPrecheck: () => RESPONSES_PRECHECK,
};
