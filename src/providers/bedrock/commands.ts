// The billable commands of `@aws-sdk/client-bedrock-runtime`: Converse and ConverseStream (operation "chat"),
// InvokeModel and InvokeModelWithResponseStream (operation "invoke": the body is model-specific, chat or
// embeddings alike) — how each request is described and how its output is read.
import { type Call, type CallStart, finishCall, observeIteratorMethod } from "../../calls/index.js";
import { estimateTokensOfText } from "../toolkit/text.js";
import { headerCounts } from "./headers.js";
import { estimateConverseInput, estimateInvokeInput } from "./input-estimate.js";
import { converseStreamObserver, invokeStreamObserver } from "./stream.js";
import { converseUsage } from "./usage-converse.js";
import { headerUsage } from "./usage-headers.js";
import { invokeBodyUsage } from "./usage-invoke.js";
import { type Kind, parseBody, readMetadata } from "./utils.js";

export function describeCommand(kind: Kind, input: any): Omit<CallStart, "headers" | "sdkError"> {
  const stream = kind === "ConverseStream" || kind === "InvokeModelWithResponseStream";
  const base = { provider: "bedrock", requestModel: String(input?.modelId ?? "unknown"), stream };
  if (kind === "Converse" || kind === "ConverseStream") {
    return {
      ...base,
      operation: "chat",
      estimateInputTokens: () => estimateConverseInput(input),
      maxOutputTokens: input.inferenceConfig?.maxTokens,
    };
  }
  const body = parseBody(input?.body);
  return {
    ...base,
    operation: "invoke",
    estimateInputTokens: () =>
      body === undefined
        ? estimateTokensOfText(typeof input?.body === "string" ? input.body.length : 0)
        : estimateInvokeInput(body),
    maxOutputTokens:
      body?.max_tokens ??
      body?.max_gen_len ??
      body?.textGenerationConfig?.maxTokenCount ??
      body?.inferenceConfig?.maxTokens ??
      body?.inferenceConfig?.max_new_tokens,
  };
}

const streamOptions = (signal: AbortSignal | undefined) => ({
  signal,
  abortType: "AbortError",
  // Bedrock always ends a stream with its usage (metadata event, invocation metrics): none means cut short.
  usageRequired: true,
  onError: readMetadata,
});

/** Reads a command's output into the call; a stream is observed in place and ends the call when it does. */
export function observeOutput(kind: Kind, output: any, call: Call, signal: AbortSignal | undefined): void {
  readMetadata(output, call);
  switch (kind) {
    case "Converse":
      if (output?.usage) call.reportUsage(converseUsage(output.usage));
      finishCall(call, "ok");
      return;
    case "InvokeModel": {
      const body = parseBody(output?.body);
      if (typeof body?.model === "string") call.responseModel = body.model;
      const usage = invokeBodyUsage(body) ?? headerUsage(headerCounts.get(call) ?? {});
      if (usage) call.reportUsage(usage);
      finishCall(call, "ok");
      return;
    }
    case "ConverseStream":
      if (
        !observeIteratorMethod(
          output?.stream,
          Symbol.asyncIterator,
          call,
          converseStreamObserver,
          streamOptions(signal),
        )
      )
        finishCall(call, "ok");
      return;
    case "InvokeModelWithResponseStream":
      if (
        !observeIteratorMethod(
          output?.body,
          Symbol.asyncIterator,
          call,
          invokeStreamObserver,
          streamOptions(signal),
        )
      )
        finishCall(call, "ok");
  }
}
