import type { Call } from "../../calls/index.js";
import type { ResultObserver } from "../toolkit/api-promise.js";
import { anthropicUsage, codeExecutionCalls, isCodeExecutionBlock } from "./usage.js";

/** Code-execution calls are counted from the content (usage has no field for them). */
function addCodeExecutions(call: Call, n: number): void {
  if (n === 0) return;
  const tools = call.usage.serverToolCalls ?? {};
  call.reportUsage({ serverToolCalls: { ...tools, codeExecution: (tools.codeExecution ?? 0) + n } });
}

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
};
