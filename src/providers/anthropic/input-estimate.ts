// What an Anthropic Messages request is billed for as input, estimated before it is sent (limit reservations,
// aborted streams): docs/limits.md, "The estimate". Bedrock's Anthropic bodies use it too.
import { BilledInput, isRecord, messagesOf, type PartRule } from "../toolkit/billed-input.js";

const PER_MESSAGE_TOKENS = 4;
const PER_PROMPT_TOKENS = 3;

/**
 * An image's input tokens at most, by Anthropic's published rule (width × height / 750, images past
 * 1.15 megapixels scaled down first): about 1600.
 */
export const ANTHROPIC_IMAGE_TOKENS = 1600;

/**
 * The system prompt Anthropic adds when a request carries tools (its published tool-use overhead, the largest
 * of the tool_choice variants), billed as input.
 */
export const ANTHROPIC_TOOLS_SYSTEM_TOKENS = 346;

/** Images by their rule; tool calls' inputs as JSON; a document's text source as text, its binary skipped. */
export const anthropicParts: PartRule = (part) => {
  if (part["type"] === "image") return ANTHROPIC_IMAGE_TOKENS;
  if (part["type"] === "tool_use" || part["type"] === "server_tool_use") {
    return new BilledInput().json(part).total;
  }
  return undefined;
};

/** Messages (text, tool use and results, images), system, tools, and a structured-output schema. */
export function estimateMessagesInput(body: any): number {
  const input = new BilledInput(anthropicParts).tokens(PER_PROMPT_TOKENS);
  input.text(body?.system);
  for (const message of messagesOf(body?.messages)) {
    input.tokens(PER_MESSAGE_TOKENS);
    if (isRecord(message)) input.text(message["content"]);
  }
  if (Array.isArray(body?.tools) && body.tools.length > 0)
    input.json(body.tools).tokens(ANTHROPIC_TOOLS_SYSTEM_TOKENS);
  const format = body?.output_format;
  if (isRecord(format)) input.json(format["schema"] ?? format);
  return input.total;
}
