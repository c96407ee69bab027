// The billable methods of `openai`: which resource methods cost money, how their request is described and how
// their usage is read. `.stream()` and `.parse()` call `create` and so are covered by it.
import type { Call } from "../../calls/index.js";
import type { BillableMethod } from "../toolkit/resource-method.js";
import { estimateInput } from "../toolkit/text.js";
import { estimateChatInput, estimateResponsesInput } from "./input-estimate.js";
import { chatObserver, chatObserverHidingUsage, responsesObserver } from "./stream.js";
import { embeddingsUsage } from "./usage-embeddings.js";
import { describeRequest } from "./utils.js";

export const OPENAI_METHODS: readonly BillableMethod[] = [
  {
    label: "chat.completions.create",
    resource: (OpenAI) => OpenAI.Chat?.Completions?.prototype,
    describe: (client, body) =>
      describeRequest(
        "chat",
        client,
        body,
        () => estimateChatInput(body),
        body.max_completion_tokens ?? body.max_tokens,
      ),
    // A stream reports usage only when asked: ask for it, and hide what the user did not ask for.
    prepare(body) {
      if (body.stream !== true || body.stream_options?.include_usage === true)
        return { body, observer: chatObserver };
      return {
        body: { ...body, stream_options: { ...body.stream_options, include_usage: true } },
        observer: chatObserverHidingUsage,
      };
    },
    observer: chatObserver,
  },
  {
    label: "responses.create",
    resource: (OpenAI) => OpenAI.Responses?.prototype,
    describe: (client, body) =>
      describeRequest("responses", client, body, () => estimateResponsesInput(body), body.max_output_tokens),
    observer: responsesObserver,
  },
  {
    label: "embeddings.create",
    resource: (OpenAI) => OpenAI.Embeddings?.prototype,
    // Embeddings produce no output tokens: reserve none for them.
    describe: (client, body) =>
      describeRequest("embeddings", client, body, () => estimateInput([body.input], undefined), 0),
    observer: {
      onResult(result: any, call: Call) {
        if (result?.model) call.responseModel = result.model;
        if (result?.usage) call.reportUsage(embeddingsUsage(result.usage));
      },
      onItem: () => "meta",
    },
  },
];
