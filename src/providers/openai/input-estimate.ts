// What an OpenAI request is billed for as input, estimated before it is sent (limit reservations, aborted
// streams): docs/limits.md, "The estimate".
import { BilledInput, isRecord, messagesOf, type PartRule } from "../toolkit/billed-input.js";

/** OpenAI's chat format adds about this much per message (role, separators) and once per prompt. */
const PER_MESSAGE_TOKENS = 4;
const PER_PROMPT_TOKENS = 3;

/**
 * An image's input tokens at its largest, by OpenAI's published rule, as the size is unknown before the
 * request: tile-based models bill 85 + 170 per 512-px tile, at most 8 tiles (2048 × 768 after scaling) at
 * detail high / auto, 85 at detail low; gpt-4o-mini bills the same tiles at 2833 + 5667 per tile; patch-based
 * models (gpt-4.1-mini / nano, o4-mini) bill at most 1536 patches times their multiplier.
 */
export function openaiImageTokens(model: string, detail: unknown): number {
  const low = detail === "low";
  if (/^gpt-4o-mini/.test(model)) return low ? 2833 : 2833 + 8 * 5667;
  if (/^gpt-4\.1-mini/.test(model)) return Math.ceil(1536 * 1.62);
  if (/^gpt-4\.1-nano/.test(model)) return Math.ceil(1536 * 2.46);
  if (/^o4-mini/.test(model)) return Math.ceil(1536 * 1.72);
  return low ? 85 : 85 + 8 * 170;
}

function imageRule(model: string): PartRule {
  return (part) => {
    if (part["type"] === "image_url") {
      const image = part["image_url"];
      return openaiImageTokens(model, isRecord(image) ? image["detail"] : undefined);
    }
    if (part["type"] === "input_image") return openaiImageTokens(model, part["detail"]);
    return undefined;
  };
}

/** Chat Completions: messages (text, tool calls, tool results, images), tools / functions, response_format. */
export function estimateChatInput(body: any): number {
  const model = String(body?.model ?? "");
  const input = new BilledInput(imageRule(model)).tokens(PER_PROMPT_TOKENS);
  for (const message of messagesOf(body?.messages)) {
    input.tokens(PER_MESSAGE_TOKENS);
    if (!isRecord(message)) continue;
    input.text(message["content"]).text(message["name"]);
    input.json(message["tool_calls"]).json(message["function_call"]);
  }
  input.json(body?.tools).json(body?.functions);
  const format = body?.response_format;
  if (isRecord(format)) input.json(format["json_schema"] ?? format);
  return input.total;
}

/** Responses: input (text or items: messages, function calls and their outputs, images), instructions, tools, text format. */
export function estimateResponsesInput(body: any): number {
  const model = String(body?.model ?? "");
  const input = new BilledInput(imageRule(model)).tokens(PER_PROMPT_TOKENS);
  const items = body?.input;
  if (typeof items === "string") input.tokens(PER_MESSAGE_TOKENS).text(items);
  for (const item of messagesOf(items)) {
    input.tokens(PER_MESSAGE_TOKENS);
    if (!isRecord(item)) continue;
    if (item["type"] === "function_call") input.text(item["name"]).json(item["arguments"]);
    else if ("content" in item) input.text(item["content"]);
    else if ("output" in item) input.text(item["output"]);
    else input.json(item);
  }
  input.text(body?.instructions).json(body?.tools);
  const format = body?.text?.format;
  if (isRecord(format)) input.json(format["schema"] ?? format);
  return input.total;
}
