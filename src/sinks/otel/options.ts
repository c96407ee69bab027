import { z } from "zod";
import { ConfigError } from "../../errors.js";

const hasMethod = (name: string) => (v: unknown) =>
  typeof v === "object" && v !== null && typeof (v as Record<string, unknown>)[name] === "function";
const keyList = z.array(z.string({ error: "must be an annotation key" }), {
  error: "must be an array of keys",
});

/**
 * The shape of `otelSink()`'s options, checked when the sink is created: a typo or a wrong type (`spans: "no"`)
 * is a ConfigError naming the field, not an option silently ignored. The keys' meaning is in index.ts.
 */
const optionsSchema = z.strictObject(
  {
    tracerProvider: z
      .custom(hasMethod("getTracer"), "must be a TracerProvider (with getTracer())")
      .optional(),
    meterProvider: z.custom(hasMethod("getMeter"), "must be a MeterProvider (with getMeter())").optional(),
    metricAttributes: z
      .strictObject(
        { add: keyList.optional(), remove: keyList.optional() },
        { error: "must be { add?, remove? }" },
      )
      .optional(),
    spans: z.boolean({ error: "must be true or false" }).optional(),
    metrics: z.boolean({ error: "must be true or false" }).optional(),
    name: z.string({ error: "must be a string" }).min(1, "must not be empty").optional(),
  },
  { error: "must be an object" },
);

/** Throws ConfigError naming the first bad option (`spans`, `metricAttributes.add`, …). */
export function validateOtelSinkOptions(options: unknown): void {
  const result = optionsSchema.safeParse(options);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
  const field = path.map(String).join(".") || "options";
  const message = issue.code === "unrecognized_keys" ? "is not a known option" : issue.message;
  throw new ConfigError(field, `otelSink: invalid option ${field}: ${message}`);
}
