// The text pre-check of a chat completion stream (ResultObserver.textPrecheck): the chunks of one stream differ
// only in their delta. A parsed chunk that reported nothing but its model teaches the stream's template: its
// text before the delta (id, created, model…) and after it (logprobs, finish_reason, usage: null). A later
// chunk that is the same text around another delta told apart by its first key is read without parsing: its
// every other field is the template's, which `readChatChunk` read already (the model) or found empty.
import type { Call, StreamItem } from "../../calls/index.js";
import type { TextPrecheck } from "../toolkit/billable.js";
import { hasTextAt, jsonString } from "../toolkit/event-text.js";

const DELTA = '"delta":';
/** OpenAI ends each chunk with a random-length `obfuscation` string (stream_options.include_obfuscation). */
const OBFUSCATION = ',"obfuscation":"';
/** Templates learned per stream at most: chunks that never repeat their frame are simply parsed. */
const MAX_LEARNED = 3;
const QUOTE = 34;
/** A delta of one tool call's arguments, as OpenAI streams them after the call's first chunk. */
const TOOL_ARGUMENTS_START = '{"tool_calls":[{"index":';
const TOOL_ARGUMENTS_KEY = ',"function":{"arguments":';
const TOOL_ARGUMENTS_END = "}}]}";

function isDigits(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
const BACKSLASH = 92;
const LINE_FEED = 10;

export class ChatChunkTemplate implements TextPrecheck {
  /** The text up to the delta's value. */
  #before: string | undefined;
  /** The text after the delta's value, without a trailing obfuscation string (and without its final `}`). */
  #after = "";
  #learned = 0;
  /** The model the template was learned with: its chunks set it again when parsed. */
  #model: string | undefined;
  /** The delta shape of the last chunk the checks below answered for (most chunks of a stream share one). */
  #slot: Slot | undefined;

  /**
   * One event as `contentRun` reads it, the plain way: the SSE event at `from` read in place when it is one
   * `data: {…}` line of content `kind` answers for, its text counted (not its item), and the index past its blank
   * line returned; else -1, nothing read. The stream path uses `contentRun`; this is what its tests check it
   * against, event by event (test/providers/event-text.test.ts).
   */
  contentAt(text: string, from: number, call: Call): number {
    const slot = this.#slot;
    if (slot === undefined || call.responseModel !== this.#model || !slot.inPlace) return -1;
    // `data: `, the shape's text up to its string, the string, the text after it, `}` and the blank line: the
    // event `kind` answers for through slotLength, read without slicing it out of the received text.
    if (text.slice(from, from + slot.line.length) !== slot.line) return -1;
    const close = stringAt(text, from + slot.line.length, slot);
    if (close < 0) return -1;
    const end = eventEnd(text, close, slot.tail);
    if (end < 0) return -1;
    call.sawOutputLength(stringLength);
    return end + 3;
  }

  /**
   * The events `contentAt` answers for one after another from `from`, read in place: where the first one it
   * does not answer starts (`from` itself when none); each is counted as `contentAt` counts it, the item too.
   * Between one event's string and the next one's, the text of a run is the slot's `gap` (the text after the
   * string, `}`, the blank line, `data: ` and the text up to the next string), compared at once: per event one
   * comparison and a search for the closing quote (docs/benchmarks.md "Streaming per chunk (issue 19, session 6)").
   */
  contentRun(text: string, from: number, call: Call): number {
    const slot = this.#slot;
    if (slot === undefined || call.responseModel !== this.#model || !slot.inPlace) return from;
    const { line, tail, gap } = slot;
    if (text.slice(from, from + line.length) !== line) return from;
    let at = from;
    // Counted when the run ends: nothing is counted if it throws (its events are then read as usual).
    let items = 0;
    let chars = 0;
    for (;;) {
      // The event at `at` starts with the slot's line (compared just before, or as the end of the previous gap).
      const close = stringAt(text, at + line.length, slot);
      if (close < 0) break;
      if (text.slice(close, close + gap.length) === gap) {
        items++;
        chars += stringLength;
        at = close + tail.length + 3;
        continue;
      }
      const end = eventEnd(text, close, tail);
      if (end < 0) break;
      items++;
      chars += stringLength;
      at = end + 3;
      if (text.slice(at, at + line.length) !== line) break;
    }
    if (items > 0) {
      call.sawOutputLength(chars);
      call.sawItems(items);
    }
    return at;
  }

  kind(data: string, call: Call): StreamItem | undefined {
    // A chunk parsed since may have set another model, which a template chunk would set back when parsed.
    if (call.responseModel !== this.#model) return undefined;
    const slot = this.#slot;
    if (slot !== undefined) {
      const length = slotLength(data, slot);
      if (length > 0 || (length === 0 && slot.emptyIsContent)) {
        call.sawOutputLength(length);
        return "content";
      }
    }
    const before = this.#before;
    // Compared as strings (a slice is a view: no copy), which V8 does faster than `startsWith`.
    if (before === undefined || data.slice(0, before.length) !== before) return undefined;
    const deltaEnd = this.#deltaEnd(data);
    const at = before.length;
    if (deltaEnd < at + 2) return undefined;
    // The delta's only key: a non-empty content or refusal string, or one tool call's arguments, is content
    // (its text counted as readChatChoices counts it); `{}` is not. Any other delta is parsed.
    if (deltaEnd === at + 2 && hasTextAt(data, at, "{}")) return "meta";
    let key = at + 1;
    if (hasTextAt(data, at, TOOL_ARGUMENTS_START)) {
      const index = data.indexOf(",", at + TOOL_ARGUMENTS_START.length);
      if (index < 0 || !isDigits(data, at + TOOL_ARGUMENTS_START.length, index)) return undefined;
      if (!hasTextAt(data, index, TOOL_ARGUMENTS_KEY)) return undefined;
      key = index + TOOL_ARGUMENTS_KEY.length;
      const text = jsonString(data, key);
      if (text === undefined || text.end + 1 + TOOL_ARGUMENTS_END.length !== deltaEnd) return undefined;
      if (data.slice(text.end + 1, deltaEnd) !== TOOL_ARGUMENTS_END) return undefined;
      this.#slot = newSlot(data, key, text.end, deltaEnd, this.#after, true);
      call.sawOutputLength(text.length);
      return "content";
    }
    if (!hasTextAt(data, key, '"content":') && !hasTextAt(data, key, '"refusal":')) return undefined;
    const text = jsonString(data, key + 10);
    // Exactly `{"content":"…"}`, not empty (an empty string is no content).
    if (text === undefined || text.end !== deltaEnd - 2 || text.length === 0) return undefined;
    this.#slot = newSlot(data, key + 10, text.end, deltaEnd, this.#after, false);
    call.sawOutputLength(text.length);
    return "content";
  }

  /** Where the delta ends when the text after it is the template's (an obfuscation string at the end aside), else -1. */
  #deltaEnd(data: string): number {
    let end = data.length - 1; // the final `}`
    if (data.charCodeAt(end) !== 125) return -1;
    if (data.charCodeAt(end - 1) === QUOTE) {
      const obfuscation = data.lastIndexOf(OBFUSCATION);
      if (obfuscation < 0) return -1;
      for (let i = obfuscation + OBFUSCATION.length; i < end - 1; i++) {
        const c = data.charCodeAt(i);
        if (c === QUOTE || c === BACKSLASH) return -1;
      }
      end = obfuscation;
    }
    const deltaEnd = end - this.#after.length;
    return data.slice(deltaEnd, end) === this.#after ? deltaEnd : -1;
  }

  parsed(data: string, chunk: any, call: Call): void {
    if (this.#learned >= MAX_LEARNED || (this.#before !== undefined && data.startsWith(this.#before))) return;
    this.#learned++;
    const start = data.indexOf(DELTA);
    if (start < 0) return;
    const value = start + DELTA.length;
    const end = objectEnd(data, value);
    if (end < 0) return;
    const before = data.slice(0, value);
    let after = data.slice(end, -1);
    const obfuscation = after.lastIndexOf(OBFUSCATION);
    if (obfuscation >= 0 && after.endsWith('"')) after = after.slice(0, obfuscation);
    // The frame must be a chunk that reports nothing but the model already read, with one choice whose delta
    // is the one cut out: checked on the frame itself with an empty delta.
    let frame: any;
    try {
      frame = JSON.parse(`${before}{}${after}}`);
    } catch {
      return;
    }
    const choices = frame?.choices;
    if (!Array.isArray(choices) || choices.length !== 1 || !isEmptyObject(choices[0]?.delta)) return;
    // A finished choice is news (readChatChoices marks the reply complete): not part of a template.
    if (choices[0]?.finish_reason) return;
    if (frame.usage || frame.error || frame.type === "error" || !frame.model) return;
    if (frame.model !== call.responseModel || frame.model !== chunk?.model) return;
    this.#before = detached(before);
    this.#after = detached(after);
    this.#model = call.responseModel; // the same string (compared per chunk: by identity, not by its characters)
    // A shape learned against the previous template: the checks it stands for are those of that template.
    this.#slot = undefined;
  }
}

/**
 * A chunk `kind` answered for through the checks of its delta, cut at that delta's one string: `head` is the text
 * up to the string's opening quote (the template's text before the delta, the delta's keys, a tool call's
 * index), `tail` from its closing quote to the end without an obfuscation string and the final `}`. A later
 * chunk that is `head`, a JSON string, `tail` (an obfuscation string, `}`) is the same chunk with another text:
 * `kind` would answer the same after the same checks, which this reads in two string comparisons and a search
 * for the closing quote (docs/benchmarks.md "Streaming per chunk").
 */
interface Slot {
  head: string;
  /** `data: ` and `head`: the start of the SSE event of such a chunk. */
  line: string;
  tail: string;
  /** `tail`, `}`, the blank line and `line`: the text from one such event's string to the next one's. */
  gap: string;
  /** Neither `head` nor `tail` holds a line feed (a head learned from data lines joined): read in place. */
  inPlace: boolean;
  /** An empty string is content too (tool call arguments; an empty `content` is no content). */
  emptyIsContent: boolean;
}

function newSlot(
  data: string,
  quote: number,
  close: number,
  deltaEnd: number,
  after: string,
  emptyIsContent: boolean,
): Slot {
  const head = detached(data.slice(0, quote + 1));
  const tail = detached(data.slice(close, deltaEnd) + after);
  const line = `data: ${head}`;
  return {
    head,
    line,
    tail,
    gap: `${tail}}\n\n${line}`,
    inPlace: !head.includes("\n") && !tail.includes("\n"),
    emptyIsContent,
  };
}

/** The decoded length of the string `stringAt` read last (a module variable: no object per event). */
let stringLength = 0;

/**
 * Where the JSON string whose text starts at `at` (just past its opening quote) closes, when it holds no line
 * feed and is one the slot counts (not empty, unless an empty one is content); its decoded length in
 * `stringLength`. Else -1.
 */
function stringAt(text: string, at: number, slot: Slot): number {
  let close = text.indexOf('"', at);
  if (close < 0) return -1;
  let length = close - at;
  // Searched within the string only (a short loop, or a slice, which is a view): the received text may hold
  // many more events.
  let escaped = false;
  if (length <= 32) {
    for (let i = at; i < close; i++) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) escaped = true;
      else if (c === LINE_FEED) return -1;
    }
  } else {
    const string = text.slice(at, close);
    if (string.includes("\n")) return -1;
    escaped = string.includes("\\");
  }
  if (escaped) {
    const string = jsonString(text, at - 1);
    if (string === undefined) return -1;
    close = string.end;
    length = string.length;
    if (text.slice(at, close).includes("\n")) return -1;
  }
  if (!(length > 0 || (length === 0 && slot.emptyIsContent))) return -1;
  stringLength = length;
  return close;
}

/**
 * The index of the final `}` of an event whose string closed at `close`, when the text from there is the slot's
 * `tail`, an obfuscation string maybe (no escapes, no line feed: as slotLength reads it), `}` and a blank line;
 * else -1.
 */
function eventEnd(text: string, close: number, tail: string): number {
  let end = close + tail.length;
  if (text.slice(close, end) !== tail) return -1;
  if (text.charCodeAt(end) !== 125) {
    // `,"obfuscation":"…"}`: a string without escapes, as slotLength reads it.
    if (text.slice(end, end + OBFUSCATION.length) !== OBFUSCATION) return -1;
    const value = end + OBFUSCATION.length;
    end = text.indexOf('"', value) + 1;
    if (end === 0 || text.charCodeAt(end) !== 125) return -1;
    const obfuscation = text.slice(value, end);
    if (obfuscation.includes("\\") || obfuscation.includes("\n")) return -1;
  }
  if (text.charCodeAt(end + 1) !== LINE_FEED || text.charCodeAt(end + 2) !== LINE_FEED) return -1;
  return end;
}

/** The length of the JSON string in `data` when `data` is the slot's chunk around it, else -1. */
function slotLength(data: string, slot: Slot): number {
  const { head, tail } = slot;
  if (data.slice(0, head.length) !== head) return -1;
  let close = data.indexOf('"', head.length);
  if (close < 0) return -1;
  let length = close - head.length;
  const backslash = data.indexOf("\\", head.length);
  if (backslash >= 0 && backslash < close) {
    const text = jsonString(data, head.length - 1);
    if (text === undefined) return -1;
    close = text.end;
    length = text.length;
  }
  const end = close + tail.length;
  if (data.slice(close, end) !== tail) return -1;
  const last = data.length - 1;
  if (data.charCodeAt(last) !== 125) return -1;
  if (end === last) return length;
  // `,"obfuscation":"…"}`: a string without escapes, as #deltaEnd reads it.
  if (data.slice(end, end + OBFUSCATION.length) !== OBFUSCATION) return -1;
  if (data.indexOf('"', end + OBFUSCATION.length) !== last - 1) return -1;
  if (data.indexOf("\\", end) >= 0) return -1;
  return length;
}

/**
 * A copy of `text` sharing no storage with the text it was sliced from: V8's slices are views, and a template
 * kept for the stream's length would keep the whole received read alive with it, which the collector then copies
 * and promotes with every stream (docs/benchmarks.md "Streaming per chunk"). A string joined to another is
 * copied into storage of its own when a part of it is sliced (V8 flattens it first): ~0.25 µs for a template's
 * text where a JSON round trip took ~1.5 µs; old-space growth per scavenge over 1,500 streams is the JSON copy's
 * (0.086 vs 0.085 MB; 0.387 MB with no copy), docs/benchmarks.md "Streaming per chunk (issue 19, session 6)".
 */
function detached(text: string): string {
  return ` ${text}`.slice(1);
}

function isEmptyObject(value: unknown): boolean {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  for (const _ in value) return false;
  return true;
}

/** The index just past the JSON object starting at `start`, or -1. */
function objectEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== 123) return -1;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++)
        if (text.charCodeAt(i) === BACKSLASH) i++;
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return c === 125 ? i + 1 : -1;
    }
  }
  return -1;
}
