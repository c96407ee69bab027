// What a stream event's JSON text says without parsing it, for the observers' pre-checks
// (`ResultObserver.textPrecheck`): most events of a stream carry nothing costtrail reads, and telling so from
// the text costs a comparison or two instead of a `JSON.parse` beside the SDK's own.
//
// One property of JSON text makes a substring test a key test: a quote inside a string is escaped (`\"`), so
// `"name":` (a quote, the name, a quote, a colon) can only be a key, never part of a value. Whitespace between
// tokens, as some servers send, only means the event is parsed: the providers send compact JSON.
import type { Call, StreamItem } from "../../calls/index.js";

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

const EVENT_FIELD = "event: ";
const DATA_FIELD = "data: {";

/**
 * A `TextPrecheck.contentRun` for a stateless `kind`: the SSE events from `from`, each `event: <name>`, one
 * `data: {…}` line and the blank line, read in place while `kind` answers for their data, where the first one
 * it does not answer starts. Read as the body observer reads an event (event-stream-body.ts `readEvent`): an
 * `error` or `thread.*` event, or a name with spaces around it, is left to it. Saves that reading's line
 * splitting and name slicing per event; the data is still sliced (a view) for `kind`.
 */
export function framedContentRun(
  text: string,
  from: number,
  call: Call,
  kind: (data: string, call: Call) => StreamItem | undefined,
): number {
  let at = from;
  let items = 0;
  let seen = false;
  for (;;) {
    if (!hasTextAt(text, at, EVENT_FIELD)) break;
    const name = at + EVENT_FIELD.length;
    const nameEnd = text.indexOf("\n", name);
    if (nameEnd <= name || text.charCodeAt(name) <= 32 || text.charCodeAt(nameEnd - 1) <= 32) break;
    if (hasTextAt(text, name, "thread.") || (nameEnd - name === 5 && hasTextAt(text, name, "error"))) break;
    const data = nameEnd + 1;
    if (!hasTextAt(text, data, DATA_FIELD)) break;
    const dataEnd = text.indexOf("\n", data + DATA_FIELD.length);
    if (dataEnd < 0 || text.charCodeAt(dataEnd + 1) !== 10) break;
    const answer = kind(text.slice(data + DATA_FIELD.length - 1, dataEnd), call);
    if (answer === undefined) break;
    seen = true;
    if (answer === "content") items++;
    at = dataEnd + 2;
  }
  if (seen) call.sawItems(items);
  return at;
}
