import { type Handler, type HandlerContext, invalid, optionalLimit, zeroUsage } from "./handler.js";
import { azureResponseModel, embeddingDimensions } from "./models.js";
import { countTokens, fnv1a, seededRandom } from "./tokens.js";

/** Normalises `input` (string, string[], token ids, token-id arrays) to a list of inputs. */
function inputs(input: unknown): Array<string | number[]> | undefined {
  if (typeof input === "string") return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((x) => typeof x === "number")) return [input as number[]];
  if (
    input.every((x) => typeof x === "string" || (Array.isArray(x) && x.every((n) => typeof n === "number")))
  ) {
    return input as Array<string | number[]>;
  }
  return undefined;
}

/** A deterministic unit vector per (model, input), with float32-exact components. */
export function mockEmbedding(model: string, input: string | number[], dimensions: number): number[] {
  const random = seededRandom(fnv1a(`${model}\u0000${typeof input === "string" ? input : input.join(",")}`));
  const raw = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((sum, x) => sum + x * x, 0)) || 1;
  // Rounded to float32 so the float and base64 encodings carry identical values.
  return raw.map((x) => Math.fround(x / norm));
}

/**
 * Embeddings: input tokens = Σ tokens(string) for string inputs, the array length for token-id inputs.
 * `encoding_format: "base64"` (what the SDK requests by default) returns base64 of little-endian float32s.
 */
export const handleEmbeddings: Handler = (ctx: HandlerContext) => {
  const { body, route } = ctx;
  const bodyModel = typeof body["model"] === "string" ? body["model"] : undefined;
  const model = bodyModel ?? route.deployment;
  if (!model) return invalid("you must provide a model parameter", "model");
  const list = inputs(body["input"]);
  if (!list) return invalid("'$.input' is invalid. Please check the API reference.", "input");
  const dimensions = optionalLimit(body["dimensions"]) || embeddingDimensions(bodyModel ?? "");
  const base64 = body["encoding_format"] === "base64";
  const responseModel =
    route.provider === "azure-openai"
      ? azureResponseModel(route.deployment, bodyModel, true, ctx.azureDeployments)
      : model;
  const inputTokens = list.reduce<number>(
    (sum, x) => sum + (typeof x === "string" ? countTokens(x) : x.length),
    0,
  );
  return {
    kind: "exchange",
    model,
    stream: false,
    computed: { ...zeroUsage(), inputTokens },
    render: (usage) => ({
      object: "list",
      data: list.map((x, index) => {
        const vector = mockEmbedding(responseModel, x, dimensions);
        const embedding = base64 ? toBase64Float32(vector) : vector;
        return { object: "embedding", index, embedding };
      }),
      model: responseModel,
      usage: { prompt_tokens: usage.inputTokens, total_tokens: usage.inputTokens },
    }),
    events: () => [],
  };
};

function toBase64Float32(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString("base64");
}
