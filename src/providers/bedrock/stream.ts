import type { StreamObserver } from "../../calls/index.js";
import { converseUsage } from "./usage-converse.js";
import { invokeChunkIsContent, invokeChunkUsage } from "./usage-invoke.js";
import { parseBody } from "./utils.js";

/** ConverseStream's `stream`: `metadata.usage` at the end, `contentBlockDelta` items carry output. */
export const converseStreamObserver: StreamObserver = {
  onItem(event, call) {
    if (event?.metadata?.usage) call.reportUsage(converseUsage(event.metadata.usage));
    // The reply is whole at messageStop; only the metadata (usage) follows.
    if (event?.messageStop) call.replyComplete = true;
    if (!event?.contentBlockDelta) return "meta";
    const delta = event.contentBlockDelta.delta;
    call.sawOutputText(delta?.text ?? delta?.toolUse?.input ?? delta?.reasoningContent?.text);
    return "content";
  },
};

/** InvokeModelWithResponseStream's `body`: each `chunk.bytes` is one model-specific JSON chunk. */
export const invokeStreamObserver: StreamObserver = {
  onItem(event, call) {
    const chunk = parseBody(event?.chunk?.bytes);
    if (chunk === undefined) return "meta";
    if (chunk.type === "message_start" && typeof chunk.message?.model === "string")
      call.responseModel = chunk.message.model;
    const usage = invokeChunkUsage(chunk, call.usage);
    if (usage) call.reportUsage(usage);
    return invokeChunkIsContent(chunk) ? "content" : "meta";
  },
};
