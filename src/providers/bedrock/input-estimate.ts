// What a Bedrock request is billed for as input, estimated before it is sent (limit reservations, aborted
// streams): docs/limits.md, "The estimate".
import {
  ANTHROPIC_IMAGE_TOKENS,
  ANTHROPIC_TOOLS_SYSTEM_TOKENS,
  estimateMessagesInput,
} from "../anthropic/input-estimate.js";
import { BilledInput, isRecord, messagesOf, type PartRule } from "../toolkit/billed-input.js";

const PER_MESSAGE_TOKENS = 4;
const PER_PROMPT_TOKENS = 3;

/** Converse blocks: images by Anthropic's rule (Bedrock bills Claude's and Nova's images alike, ≤ ~1600), tool uses as JSON. */
const converseParts: PartRule = (part) => {
  if (isRecord(part["image"])) return ANTHROPIC_IMAGE_TOKENS;
  if (isRecord(part["toolUse"])) return new BilledInput().json(part).total;
  return undefined;
};

/** Converse / ConverseStream: messages (text, tool use and results, images, documents' text), system, tool config. */
export function estimateConverseInput(input: any): number {
  const billed = new BilledInput(converseParts).tokens(PER_PROMPT_TOKENS);
  billed.text(input?.system);
  for (const message of messagesOf(input?.messages)) {
    billed.tokens(PER_MESSAGE_TOKENS);
    if (isRecord(message)) billed.text(message["content"]);
  }
  // Claude on Bedrock adds Anthropic's tool-use system prompt; counted for every model, as an upper bound.
  if (Array.isArray(input?.toolConfig?.tools) && input.toolConfig.tools.length > 0)
    billed.json(input.toolConfig).tokens(ANTHROPIC_TOOLS_SYSTEM_TOKENS);
  return billed.total;
}

/**
 * InvokeModel bodies are the model's own format: an Anthropic Messages body is estimated as Anthropic's;
 * others (Llama, Titan, Mistral, Nova) by their text, tools as JSON.
 */
export function estimateInvokeInput(body: any): number {
  if (isRecord(body) && Array.isArray(body["messages"]) && "anthropic_version" in body) {
    return estimateMessagesInput(body);
  }
  if (isRecord(body) && Array.isArray(body["messages"]) && isRecord(body["inferenceConfig"])) {
    return estimateConverseInput({ ...body, toolConfig: body["toolConfig"] });
  }
  const billed = new BilledInput(converseParts).tokens(PER_PROMPT_TOKENS);
  if (isRecord(body)) {
    const { tools, toolConfig, ...rest } = body;
    billed.text(rest).json(tools).json(toolConfig);
  } else billed.text(body);
  return billed.total;
}
