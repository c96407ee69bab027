// What a stream event's JSON text says without parsing it, for the observers' pre-checks
// (`ResultObserver.textPrecheck`): most events of a stream carry nothing costtrail reads, and telling so from
// the text costs a comparison or two instead of a `JSON.parse` beside the SDK's own.
//
// One property of JSON text makes a substring test a key test: a quote inside a string is escaped (`\"`), so
// `"name":` (a quote, the name, a quote, a colon) can only be a key, never part of a value. Whitespace between
// tokens, as some servers send, only means the event is parsed: the providers send compact JSON.

/**
 * The value of the object's leading `"type"` key (`{"type":"content_block_delta",…`), or undefined when the
 * text does not start so or the value has escapes. The SSE events of Anthropic and OpenAI Responses lead with it
 * (a second top-level `"type"` key, which `JSON.parse` would take instead, is not JSON any provider sends).
 */
export function leadingType(data: string): string | undefined {
  if (!hasTextAt(data, 0, TYPE_PREFIX)) return undefined;
  const end = data.indexOf('"', TYPE_PREFIX.length);
  if (end < 0) return undefined;
  const type = data.slice(TYPE_PREFIX.length, end);
  return type.includes("\\") ? undefined : type;
}

const TYPE_PREFIX = '{"type":"';

/**
 * The JSON string starting at `quote` (the index of its opening quote): the index of its closing quote and the
 * length of the string it decodes to (`\"`, `\n`… one character each, `\uXXXX` one UTF-16 unit, as
 * `JSON.parse` gives it), or undefined when the text has no closing quote there.
 */
export function jsonString(data: string, quote: number): { end: number; length: number } | undefined {
  if (data.charCodeAt(quote) !== 34) return undefined;
  let length = 0;
  let at = quote + 1;
  let backslash = data.indexOf("\\", at);
  for (;;) {
    const close = data.indexOf('"', at);
    if (close < 0) return undefined;
    if (backslash < 0 || backslash > close) return { end: close, length: length + close - at };
    length += backslash - at + 1;
    at = backslash + (data.charCodeAt(backslash + 1) === 117 ? 6 : 2); // \uXXXX or \x
    backslash = data.indexOf("\\", at);
  }
}

/**
 * `text.startsWith(part, at)`, by character codes: on the sliced strings events are read as, V8's `startsWith`
 * with a position costs several times a loop of `charCodeAt` (docs/benchmarks.md).
 */
export function hasTextAt(text: string, at: number, part: string): boolean {
  if (at < 0 || at + part.length > text.length) return false;
  for (let i = 0; i < part.length; i++) if (text.charCodeAt(at + i) !== part.charCodeAt(i)) return false;
  return true;
}
