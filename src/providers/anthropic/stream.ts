import type { ResultObserver } from "../toolkit/api-promise.js";
import { anthropicUsage } from "./usage.js";

/** A Message, or the events of its stream: `message_start` (model, input usage), `message_delta` (output). */
export const messagesObserver: ResultObserver = {
  onResult(message, call) {
    if (message?.model) call.responseModel = message.model;
    if (message?.usage) call.reportUsage(anthropicUsage(message.usage));
  },
  onItem(event, call) {
    if (event?.type === "message_start") {
      if (event.message?.model) call.responseModel = event.message.model;
      if (event.message?.usage) call.reportUsage(anthropicUsage(event.message.usage));
    } else if (event?.type === "message_delta" && event.usage) {
      call.reportUsage(anthropicUsage(event.usage, call.usage));
    }
    return event?.type === "content_block_delta" ? "content" : "meta";
  },
};
