// The billable paths of `openai`: which requests cost money, how they are described and how their usage is read.
// Every SDK method that posts to one of these paths is covered: `create`, `.stream()`, `.parse()`, `runTools()`,
// `beta.responses.*`, a raw `client.post("/chat/completions", …)` (docs/providers.md "Call paths").
import type { Call } from "../../calls/index.js";
import type { BillableRequest } from "../toolkit/billable-request.js";
import { estimateInput } from "../toolkit/text.js";
import { estimateChatInput, estimateResponsesInput } from "./input-estimate.js";
import { chatObserver, chatObserverHidingUsage, responsesObserver } from "./stream.js";
import { embeddingsUsage } from "./usage-embeddings.js";
import { describeRequest } from "./utils.js";

export const OPENAI_REQUESTS: readonly BillableRequest[] = [
  {
    label: "chat.completions",
    path: "/chat/completions",
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
      if (body.stream !== true || body.stream_options?.include_usage === true) return undefined;
      return {
        body: { ...body, stream_options: { ...body.stream_options, include_usage: true } },
        observer: chatObserverHidingUsage,
      };
    },
    observer: chatObserver,
  },
  {
    label: "responses",
    path: "/responses",
    describe: (client, body) =>
      describeRequest("responses", client, body, () => estimateResponsesInput(body), body.max_output_tokens),
    observer: responsesObserver,
  },
  {
    label: "embeddings",
    path: "/embeddings",
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
