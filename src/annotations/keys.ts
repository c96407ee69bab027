// The one table of annotation keys (SPEC §2, §3): the merge rules (merge.ts), the zod schema (schema.ts) and the
// x-costtrail-* headers (headers.ts) are all derived from it. To add a key: one row here and one field in
// `Annotations` (src/types.ts); the compiler checks that both agree.
import { z } from "zod";
import type { Annotations } from "../types.js";

export const MAX_STRING = 512;
export const MAX_LIST = 64;
export const MAX_MAP_KEYS = 64;
/** Caps on what nested scopes merge into (docs/concepts.md "Caps and cost of nesting"): past them, `AnnotationError`. */
export const MAX_MERGED_LIST = 256;
export const MAX_MERGED_MAP_KEYS = 256;
export const HEADER_PREFIX = "x-costtrail-";

/**
 * How a key merges from the outer scope to the inner one: `singleton` — the inner value wins; `list` — union in
 * first-seen order; `map` — merged per key, the inner value wins. `null` clears a singleton or a map.
 */
export type AnnotationKind = "singleton" | "list" | "map";

/**
 * A singleton's part in the use case: `name` starts or ends one; `instance` is its id (set, kept or cleared by the
 * instance rules); `owned` belongs to the named use case and is dropped when another one is named.
 */
export type UseCaseRole = "name" | "instance" | "owned";

export interface AnnotationKeyDef {
  kind: AnnotationKind;
  /** The value a scope may write (undefined: not written; null: clear where the kind allows it). */
  schema: z.ZodType;
  /** Lowercase header name carrying this key in `createHeaders()`. */
  header: string;
  useCase?: UseCaseRole;
  /** Reads a singleton's header text when the value is not a string. */
  fromHeader?: (text: string) => unknown;
}

const text = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(MAX_STRING, `must be at most ${MAX_STRING} characters`);
const singleton = text.nullable().optional();
const version = z
  .number({ error: "must be a number" })
  .int("must be an integer")
  .min(0, "must be ≥ 0")
  .max(Number.MAX_SAFE_INTEGER)
  .nullable()
  .optional();
const list = z
  .array(text, { error: "must be an array of strings" })
  .max(MAX_LIST, `must have at most ${MAX_LIST} entries`)
  .optional();
const map = z
  .record(text, text, { error: "must be an object of string values" })
  .refine((m) => Object.keys(m).length <= MAX_MAP_KEYS, `must have at most ${MAX_MAP_KEYS} keys`)
  .nullable()
  .optional();

/** Header text of a whole number is the number; anything else stays text, for the schema to refuse. */
const integerOrText = (value: string): unknown => (/^\d+$/.test(value) ? Number(value) : value);

/** Every annotation key, in the order headers and parsed scopes list them. */
export const ANNOTATION_KEY_TABLE = {
  useCaseName: { kind: "singleton", schema: singleton, header: "x-costtrail-use-case-name", useCase: "name" },
  useCaseId: { kind: "singleton", schema: singleton, header: "x-costtrail-use-case-id", useCase: "instance" },
  useCaseVersion: {
    kind: "singleton",
    schema: version,
    header: "x-costtrail-use-case-version",
    useCase: "owned",
    fromHeader: integerOrText,
  },
  useCaseStep: {
    kind: "singleton",
    schema: singleton,
    header: "x-costtrail-use-case-step",
    useCase: "owned",
  },
  userId: { kind: "singleton", schema: singleton, header: "x-costtrail-user-id" },
  accountName: { kind: "singleton", schema: singleton, header: "x-costtrail-account-name" },
  limitIds: { kind: "list", schema: list, header: "x-costtrail-limit-ids" },
  requestTags: { kind: "list", schema: list, header: "x-costtrail-request-tags" },
  requestProperties: { kind: "map", schema: map, header: "x-costtrail-request-properties" },
  useCaseProperties: { kind: "map", schema: map, header: "x-costtrail-use-case-properties" },
  priceAsResource: { kind: "singleton", schema: singleton, header: "x-costtrail-price-as-resource" },
  priceAsCategory: { kind: "singleton", schema: singleton, header: "x-costtrail-price-as-category" },
  resourceScope: { kind: "singleton", schema: singleton, header: "x-costtrail-resource-scope" },
} as const satisfies { [K in keyof Annotations]-?: AnnotationKeyDef };

type Table = typeof ANNOTATION_KEY_TABLE;
export type AnnotationKey = keyof Table;
/** The keys of one kind, as a type: `KeysOf<"list">` is `"limitIds" | "requestTags"`. */
export type KeysOf<Kind extends AnnotationKind> = {
  [K in AnnotationKey]: Table[K]["kind"] extends Kind ? K : never;
}[AnnotationKey];

export const ANNOTATION_KEYS = Object.keys(ANNOTATION_KEY_TABLE) as AnnotationKey[];

function keysOf<Kind extends AnnotationKind>(kind: Kind): readonly KeysOf<Kind>[] {
  return Object.freeze(
    ANNOTATION_KEYS.filter((k) => ANNOTATION_KEY_TABLE[k].kind === kind) as KeysOf<Kind>[],
  );
}
export const SINGLETON_KEYS = keysOf("singleton");
export const LIST_KEYS = keysOf("list");
export const MAP_KEYS = keysOf("map");

export function kindOf(key: AnnotationKey): AnnotationKind {
  return ANNOTATION_KEY_TABLE[key].kind;
}

export function useCaseRoleOf(key: AnnotationKey): UseCaseRole | undefined {
  const def: AnnotationKeyDef = ANNOTATION_KEY_TABLE[key];
  return def.useCase;
}

// The table's kinds and the public `Annotations` type must say the same: the lists are the array-typed fields,
// the maps the record-typed ones. A mismatch fails to compile here.
type ByType<T> = {
  [K in keyof Annotations]-?: NonNullable<Annotations[K]> extends T ? K : never;
}[keyof Annotations];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const kindsMatchTypes: [
  Same<KeysOf<"list">, ByType<readonly string[]>>,
  Same<KeysOf<"map">, ByType<Record<string, string>>>,
] = [true, true];
void kindsMatchTypes;
