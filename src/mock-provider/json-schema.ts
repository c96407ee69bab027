/**
 * A minimal value that satisfies a JSON schema, so structured-output helpers (`chat.completions.parse`,
 * zod response formats, strict tools) can parse what the mock returns. Covers what OpenAI strict mode and
 * Anthropic tool schemas use: objects, arrays, primitives, enum/const, anyOf/oneOf/allOf, $ref, nullable types.
 */
type Schema = Record<string, unknown>;

const MAX_DEPTH = 8;

export function sampleFromSchema(schema: unknown): unknown {
  const root = asSchema(schema);
  return sample(root, root, 0);
}

function asSchema(value: unknown): Schema {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Schema) : {};
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith("#")) return {};
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    node = asSchema(node)[key];
  }
  return asSchema(node);
}

function sample(schema: Schema, root: Schema, depth: number): unknown {
  if (typeof schema["$ref"] === "string") return sample(resolveRef(root, schema["$ref"]), root, depth + 1);
  if ("const" in schema) return schema["const"];
  if (Array.isArray(schema["enum"]) && schema["enum"].length > 0) return schema["enum"][0];
  if ("default" in schema) return schema["default"];
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const schemas = options.map(asSchema);
      // Past the depth limit prefer the null branch, which ends recursive schemas.
      const nonNull = schemas.filter((s) => s["type"] !== "null");
      const pick =
        depth >= MAX_DEPTH ? (schemas.find((s) => s["type"] === "null") ?? schemas[0]) : nonNull[0];
      return sample(pick ?? schemas[0]!, root, depth + 1);
    }
  }
  if (Array.isArray(schema["allOf"]) && schema["allOf"].length > 0) {
    const merged: Schema = {};
    for (const part of schema["allOf"].map(asSchema)) {
      const resolved = typeof part["$ref"] === "string" ? resolveRef(root, part["$ref"]) : part;
      Object.assign(merged, resolved, {
        properties: { ...asSchema(merged["properties"]), ...asSchema(resolved["properties"]) },
      });
    }
    return sample(merged, root, depth + 1);
  }

  let type = schema["type"];
  if (Array.isArray(type)) {
    type = depth >= MAX_DEPTH && type.includes("null") ? "null" : type.find((t) => t !== "null");
  }
  if (type === undefined && schema["properties"]) type = "object";

  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const properties = asSchema(schema["properties"]);
      for (const [name, child] of Object.entries(properties)) {
        out[name] = sample(asSchema(child), root, depth + 1);
      }
      return out;
    }
    case "array": {
      const min = typeof schema["minItems"] === "number" ? schema["minItems"] : 0;
      const max = typeof schema["maxItems"] === "number" ? schema["maxItems"] : Number.POSITIVE_INFINITY;
      const count = depth >= MAX_DEPTH ? min : Math.min(Math.max(min, 1), max);
      const items = asSchema(Array.isArray(schema["items"]) ? schema["items"][0] : schema["items"]);
      return Array.from({ length: count }, () => sample(items, root, depth + 1));
    }
    case "string":
      return sampleString(schema);
    case "integer":
    case "number": {
      const min = schema["minimum"];
      if (typeof min === "number") return type === "integer" ? Math.ceil(min) : min;
      const exclusive = schema["exclusiveMinimum"];
      if (typeof exclusive === "number") return Math.floor(exclusive) + 1;
      return 0;
    }
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return {};
  }
}

function sampleString(schema: Schema): string {
  switch (schema["format"]) {
    case "date-time":
      return "2025-01-01T00:00:00Z";
    case "date":
      return "2025-01-01";
    case "time":
      return "00:00:00";
    case "email":
      return "mock@example.com";
    case "uuid":
      return "00000000-0000-4000-8000-000000000000";
    case "uri":
      return "https://example.com/";
  }
  const minLength = typeof schema["minLength"] === "number" ? schema["minLength"] : 0;
  const base = "mock";
  return base.length >= minLength ? base : base.padEnd(minLength, "x");
}
