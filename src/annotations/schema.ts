import { z } from "zod";
import { AnnotationError } from "../errors.js";
import type { ScopeAnnotations } from "../types.js";
import { ANNOTATION_KEY_TABLE, ANNOTATION_KEYS, type AnnotationKey, MAP_KEYS } from "./keys.js";
import { plainScope } from "./plain-scope.js";

export { MAX_LIST, MAX_MAP_KEYS, MAX_STRING } from "./keys.js";

type Shape = { [K in AnnotationKey]: (typeof ANNOTATION_KEY_TABLE)[K]["schema"] };

/** SPEC §2: what a scope (`@track`, `trackContext`, `createHeaders`, `defaults`) may write. */
export const scopeAnnotationsSchema = z.strictObject(
  Object.fromEntries(ANNOTATION_KEYS.map((key) => [key, ANNOTATION_KEY_TABLE[key].schema])) as Shape,
  { error: "must be an object of annotations" },
);

/** Turns the first zod issue into a message that names the field, e.g. `limitIds.0: must not be empty`. */
export function describeIssue(error: z.ZodError, prefix?: string): { field: string; message: string } {
  const issue = error.issues[0]!;
  let path = issue.path.map(String);
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    path = [...path, issue.keys[0]!];
    message = "is not a known annotation";
  } else if (issue.code === "invalid_key" && issue.issues[0]) {
    // A map's key failed its own rule (empty, too long): say so, not the map's generic message.
    message = `key ${issue.issues[0].message}`;
  } else if (issue.code === "invalid_type" && issue.input === undefined && path.length === 0) {
    message = "must be an object of annotations";
  }
  const field = [prefix, ...path].filter(Boolean).join(".") || prefix || "annotations";
  return { field, message: `${field}: ${message}` };
}

/**
 * Validates annotations where they are written; throws `AnnotationError` naming the bad field. Plainly valid
 * input (the common case: `trackContext` runs per request) is checked and copied by `plainScope`, without zod;
 * anything else goes through the zod schema, which accepts or names the field exactly as before.
 */
export function parseScopeAnnotations(input: unknown, where: string, prefix?: string): ScopeAnnotations {
  const plain = plainScope(input);
  if (plain) return plain;
  refuseProtoKeys(input, where, prefix);
  const result = scopeAnnotationsSchema.safeParse(input ?? {});
  if (result.success) return stripUndefined(result.data as ScopeAnnotations);
  const { field, message } = describeIssue(result.error, prefix);
  throw new AnnotationError(field, `costtrail: invalid annotation in ${where}: ${message}`);
}

/**
 * zod drops a `__proto__` key from records without a word (an object built by assignment cannot hold it as
 * its own key): refuse it, naming the field, rather than lose the value silently.
 */
function refuseProtoKeys(input: unknown, where: string, prefix: string | undefined): void {
  if (!input || typeof input !== "object") return;
  for (const key of MAP_KEYS) {
    const value = (input as Record<string, unknown>)[key];
    if (value && typeof value === "object" && Object.hasOwn(value, "__proto__")) {
      const field = [prefix, key, "__proto__"].filter(Boolean).join(".");
      throw new AnnotationError(
        field,
        `costtrail: invalid annotation in ${where}: ${field}: must not be __proto__`,
      );
    }
  }
}

function stripUndefined(scope: ScopeAnnotations): ScopeAnnotations {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(scope)) if (v !== undefined) out[k] = v;
  return out as ScopeAnnotations;
}

export function isEmptyScope(scope: ScopeAnnotations): boolean {
  for (const key in scope) {
    const value = scope[key as keyof ScopeAnnotations];
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) return false;
  }
  return true;
}
