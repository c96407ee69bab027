import type { ScopeAnnotations } from "../types.js";
import {
  ANNOTATION_KEY_TABLE,
  ANNOTATION_KEYS,
  type AnnotationKey,
  type AnnotationKeyDef,
  HEADER_PREFIX,
  kindOf,
} from "./keys.js";
import { parseScopeAnnotations } from "./schema.js";

export { HEADER_PREFIX } from "./keys.js";

type Key = AnnotationKey;

/** `useCaseName` → `x-costtrail-use-case-name` (the table's header column). */
export function headerName(key: Key): string {
  return ANNOTATION_KEY_TABLE[key].header;
}
const KEY_BY_HEADER = new Map<string, Key>(ANNOTATION_KEYS.map((k) => [headerName(k), k]));

/**
 * Header values must stay printable ASCII and keep their exact text (HTTP stacks trim spaces and reject
 * control characters), so escape `%`, non-printable and non-ASCII characters, edge spaces and — inside
 * lists, whose entries are comma-joined — commas, as UTF-8 percent-escapes. Plain values stay readable.
 */
function encodeValue(value: string, escapeComma: boolean): string {
  let out = "";
  let pos = 0;
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    const edgeSpace = ch === " " && (pos === 0 || pos === value.length - 1);
    pos += ch.length;
    const mustEscape = code < 0x20 || code > 0x7e || ch === "%" || edgeSpace || (escapeComma && ch === ",");
    // A lone surrogate cannot be UTF-8 encoded; it becomes U+FFFD rather than an exception.
    out += mustEscape ? encodeURIComponent(code >= 0xd800 && code <= 0xdfff ? "\ufffd" : ch) : ch;
  }
  return out;
}

function decodeValue(value: string): string {
  return value.includes("%") ? decodeURIComponent(value) : value;
}

/**
 * `createHeaders(opts)`: annotations for one request, as `x-costtrail-*` headers to pass in the request
 * options (`{ headers: createHeaders({...}) }`). Lists are comma-joined, maps are JSON, `null` is an empty
 * value ("clear"). Validated here: a bad value throws `AnnotationError` at this call.
 */
export function createHeaders(annotations: ScopeAnnotations): Record<string, string> {
  const scope = parseScopeAnnotations(annotations, "createHeaders()");
  const headers: Record<string, string> = {};
  for (const key of Object.keys(scope) as Key[]) {
    const value = scope[key];
    if (value === undefined) continue;
    const kind = kindOf(key);
    let encoded: string;
    if (value === null) encoded = "";
    else if (kind === "list") {
      if ((value as string[]).length === 0) continue;
      encoded = (value as string[]).map((v) => encodeValue(v, true)).join(",");
    } else if (kind === "map") encoded = encodeValue(JSON.stringify(value), false);
    else encoded = encodeValue(String(value), false);
    headers[headerName(key)] = encoded;
  }
  return headers;
}

export interface ParsedHeaders {
  /** The request's own scope, or undefined when it carries no costtrail header. */
  scope: ScopeAnnotations | undefined;
  /** Names (as written) of every `x-costtrail-*` header found, known or not: all are stripped before sending. */
  names: string[];
  /** Set when a header could not be read; the header is ignored, the call proceeds. */
  problem?: string;
}

/**
 * The inverse of `createHeaders`, used by the provider adapters on the request options' headers. Accepts a
 * plain record, a `Headers`, or an array of pairs. Never throws: a malformed header is reported and ignored,
 * because by now the user's call must go through.
 */
export function parseAnnotationHeaders(headers: unknown): ParsedHeaders {
  const raw: Record<string, unknown> = {};
  const names: string[] = [];
  const unknown: string[] = [];
  forEachHeader(headers, (name, value) => {
    const lower = name.toLowerCase();
    if (!lower.startsWith(HEADER_PREFIX)) return;
    // Every costtrail header is ours to strip, known or not: a misspelt one must not reach the provider.
    names.push(name);
    const key = KEY_BY_HEADER.get(lower);
    if (!key) unknown.push(lower);
    else if (typeof value === "string") raw[key] = value;
  });
  if (names.length === 0) return { scope: undefined, names };
  const candidate: Record<string, unknown> = {};
  const unknownProblem = unknown.length ? `unknown costtrail header ${unknown.join(", ")}` : undefined;
  try {
    for (const [key, text] of Object.entries(raw) as [Key, string][]) {
      const def: AnnotationKeyDef = ANNOTATION_KEY_TABLE[key];
      if (text === "") candidate[key] = def.kind === "list" ? undefined : null;
      else if (def.kind === "list") candidate[key] = text.split(",").map((v) => decodeValue(v.trim()));
      else if (def.kind === "map") candidate[key] = JSON.parse(decodeValue(text));
      else if (def.fromHeader) candidate[key] = def.fromHeader(text);
      else candidate[key] = decodeValue(text);
    }
    const scope = Object.keys(candidate).length
      ? parseScopeAnnotations(candidate, "request headers")
      : undefined;
    return { scope, names, ...(unknownProblem ? { problem: unknownProblem } : {}) };
  } catch (error) {
    return { scope: undefined, names, problem: (error as Error).message };
  }
}

function forEachHeader(headers: unknown, visit: (name: string, value: unknown) => void): void {
  if (!headers || typeof headers !== "object") return;
  if (typeof (headers as Headers).forEach === "function" && !Array.isArray(headers)) {
    (headers as Headers).forEach((value, name) => {
      visit(name, value);
    });
  } else if (Array.isArray(headers)) {
    for (const pair of headers) if (Array.isArray(pair)) visit(String(pair[0]), pair[1]);
  } else {
    for (const name of Object.keys(headers)) visit(name, (headers as Record<string, unknown>)[name]);
  }
}
