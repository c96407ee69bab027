import type { Call } from "../../calls/index.js";

export type Kind = "Converse" | "ConverseStream" | "InvokeModel" | "InvokeModelWithResponseStream";

const KINDS = new Set<string>(["Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"]);

/**
 * Bodies larger than this are not parsed: a request's only serves estimates (an image-laden prompt is not
 * worth it), a response's usage is in the headers too.
 */
const MAX_PARSED_BODY = 1 << 20;

/**
 * The operation a command performs: its class name (`ConverseCommand`), or, should a bundler have renamed
 * the class, the operation name in its Smithy schema (`[9, namespace, "Converse", …]`).
 */
export function kindOf(command: any): Kind | undefined {
  const name = command?.constructor?.name;
  if (typeof name === "string" && name.endsWith("Command") && KINDS.has(name.slice(0, -7)))
    return name.slice(0, -7) as Kind;
  const schema = command?.schema;
  const op = Array.isArray(schema) ? schema[2] : undefined;
  return typeof op === "string" && KINDS.has(op) ? (op as Kind) : undefined;
}

/** InvokeModel's `body` (string or bytes) as JSON, when it is small enough and is JSON. */
export function parseBody(body: unknown): any {
  let text: string | undefined;
  if (typeof body === "string") text = body;
  else if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) {
    if (body.byteLength > MAX_PARSED_BODY) return undefined;
    text = new TextDecoder().decode(body);
  }
  if (text === undefined || text.length > MAX_PARSED_BODY) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Attempts and status as the SDK counted them (`$metadata`), on outputs and on errors alike. */
export function readMetadata(value: any, call: Call): void {
  const meta = value?.$metadata;
  if (typeof meta?.attempts === "number") call.attempts = meta.attempts;
  if (typeof meta?.httpStatusCode === "number") call.httpStatus = meta.httpStatusCode;
}
