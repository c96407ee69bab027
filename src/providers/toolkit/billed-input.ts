import { estimateTokensOfText } from "./text.js";

/** Keys whose values are binary payloads (base64 data, Bedrock bytes, file data, URLs): never text tokens. */
const BINARY_KEYS = new Set(["data", "bytes", "file_data", "url", "image_url", "file_url"]);
const MAX_DEPTH = 12;

/**
 * Tokens of an image, file or other non-text part by its provider's rule, or undefined when `part` is not one
 * (then its text is counted). Adapters pass their provider's rule (docs/limits.md, "The estimate").
 */
export type PartRule = (part: Record<string, unknown>) => number | undefined;

/**
 * Adds up what a request is billed for as input, for limit reservations (docs/limits.md, "The estimate"):
 * text as characters (≈ 4 per token, as `estimateTokensOfText`), structured values — tool definitions, JSON
 * schemas, tool calls' arguments — as their JSON text (keys and punctuation are tokens too), and parts with a
 * token rule of their own (images) by that rule. Never throws: a value it cannot read counts as nothing.
 */
export class BilledInput {
  #chars = 0;
  #tokens = 0;

  constructor(private readonly rule: PartRule = () => undefined) {}

  /** Every string reachable in `value`, parts with a rule counted by it, binary payloads skipped. */
  text(value: unknown, depth = 0): this {
    if (typeof value === "string") this.#chars += value.length;
    else if (value && typeof value === "object" && depth <= MAX_DEPTH && !ArrayBuffer.isView(value)) {
      if (Array.isArray(value)) for (const item of value) this.text(item, depth + 1);
      else {
        const record = value as Record<string, unknown>;
        const ruled = this.rule(record);
        if (ruled !== undefined) this.#tokens += ruled;
        else
          for (const key of Object.keys(record)) {
            if (!BINARY_KEYS.has(key)) this.text(record[key], depth + 1);
          }
      }
    }
    return this;
  }

  /** A structured value as its JSON text (tool definitions, schemas, tool-call arguments). */
  json(value: unknown): this {
    if (value === undefined || value === null) return this;
    if (typeof value === "string") {
      this.#chars += value.length;
      return this;
    }
    try {
      this.#chars += JSON.stringify(value, dropBinary)?.length ?? 0;
    } catch {
      this.text(value);
    }
    return this;
  }

  /** Tokens the provider adds itself (per message, per prompt). */
  tokens(n: number): this {
    this.#tokens += n;
    return this;
  }

  get total(): number {
    return estimateTokensOfText(this.#chars) + this.#tokens;
  }
}

function dropBinary(key: string, value: unknown): unknown {
  return BINARY_KEYS.has(key) && (typeof value !== "string" || value.length > 64) ? undefined : value;
}

/** The messages of a request, when it has an array of them. */
export function messagesOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}
