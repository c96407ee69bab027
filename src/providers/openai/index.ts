// OpenAI and Azure OpenAI (`openai` ≥ 5): chat.completions.create (and so .stream / .parse, which call it),
// responses.create (and .stream / .parse), embeddings.create.

import { estimateTokensOfText, textLength } from "../estimate.js";
import { ownerOf, patchPiece } from "../patch.js";
import { type Observer, type Operation, patchFetch, wrapCreate } from "../stainless.js";
import { chatUsage, embeddingsUsage, responsesUsage } from "./usage.js";

type Undo = (() => void) | undefined;

function isAzure(client: any): boolean {
  for (let c = client?.constructor; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (c.name === "AzureOpenAI") return true;
  }
  return false;
}

function describe(operation: string, client: any, body: any, estimate: () => number, maxOut?: number) {
  const azure = isAzure(client);
  return {
    provider: azure ? "azure-openai" : "openai",
    operation,
    // Azure routes by deployment: that name is what the request addresses, priced via priceAsResource.
    requestModel: String((azure && client?.deploymentName) || body.model || "unknown"),
    stream: body.stream === true,
    estimateInputTokens: estimate,
    maxOutputTokens: maxOut,
  };
}

const chatObserver: Observer = {
  onResult(result, record) {
    if (result?.model) record.responseModel = result.model;
    if (result?.usage) record.reportUsage(chatUsage(result.usage));
  },
  onStreamItem(chunk, record) {
    if (chunk?.model) record.responseModel = chunk.model;
    if (chunk?.usage) record.reportUsage(chatUsage(chunk.usage));
    return false;
  },
  isContent: (chunk) =>
    Array.isArray(chunk?.choices) &&
    chunk.choices.some((c: any) => c?.delta?.content || c?.delta?.tool_calls || c?.delta?.refusal),
};

/** We asked for usage the user did not: hide the usage-only chunk and the `usage: null` on the others. */
const chatObserverHidingUsage: Observer = {
  ...chatObserver,
  onStreamItem(chunk, record) {
    chatObserver.onStreamItem(chunk, record);
    if (chunk && "usage" in chunk) {
      if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return true;
      delete chunk.usage;
    }
    return false;
  },
};

const chat: Operation = {
  describe: (client, body) =>
    describe(
      "chat",
      client,
      body,
      () => estimateTokensOfText(textLength(body.messages)) + 3 * (body.messages?.length ?? 0),
      body.max_completion_tokens ?? body.max_tokens,
    ),
  prepare(body) {
    if (body.stream !== true || body.stream_options?.include_usage === true)
      return { body, observer: chatObserver };
    return {
      body: { ...body, stream_options: { ...body.stream_options, include_usage: true } },
      observer: chatObserverHidingUsage,
    };
  },
  observer: chatObserver,
};

const responses: Operation = {
  describe: (client, body) =>
    describe(
      "responses",
      client,
      body,
      () => estimateTokensOfText(textLength(body.input) + textLength(body.instructions)),
      body.max_output_tokens,
    ),
  observer: {
    onResult(result, record) {
      if (result?.model) record.responseModel = result.model;
      if (result?.usage) record.reportUsage(responsesUsage(result.usage));
    },
    onStreamItem(event, record) {
      const response = event?.response;
      if (response?.model) record.responseModel = response.model;
      if (response?.usage) record.reportUsage(responsesUsage(response.usage));
      return false;
    },
    isContent: (event) => typeof event?.type === "string" && event.type.endsWith(".delta"),
  },
};

const embeddings: Operation = {
  describe: (client, body) =>
    // Embeddings produce no output tokens: reserve none for them.
    describe("embeddings", client, body, () => estimateTokensOfText(textLength(body.input)), 0),
  observer: {
    onResult(result, record) {
      if (result?.model) record.responseModel = result.model;
      if (result?.usage) record.reportUsage(embeddingsUsage(result.usage));
    },
    onStreamItem: () => false,
    isContent: () => false,
  },
};

/** Patches one loaded build (CJS or ESM) of `openai`; returns the undos. */
export function patchOpenAI(sdk: Record<string, unknown>): Undo[] {
  const undos: Undo[] = [];
  const OpenAI = (sdk.OpenAI ?? sdk.default) as any;
  if (typeof OpenAI === "function") {
    const piece = (label: string, proto: object | undefined, operation: Operation) =>
      patchPiece(
        `openai ${label}`,
        ownerOf(proto, "create"),
        "create",
        wrapCreate(operation, OpenAI.OpenAIError ?? sdk.OpenAIError),
      );
    undos.push(piece("chat.completions.create", OpenAI.Chat?.Completions?.prototype, chat));
    undos.push(piece("responses.create", OpenAI.Responses?.prototype, responses));
    undos.push(piece("embeddings.create", OpenAI.Embeddings?.prototype, embeddings));
    undos.push(patchFetch(ownerOf(OpenAI.prototype, "fetchWithTimeout"), "openai"));
  }
  return undos;
}
