// A JSONL response (a batch's results file) observed at its body as it is read: the bytes are handed on
// unchanged, one chunk per read, and each complete line is parsed on the side for the adapter. The Response
// keeps its identity; only its `body` and the readers built on it are given the observed stream (as
// event-stream-body.ts does for SSE). Whoever reads the results — the SDK's JSONL decoder, `text()`, a
// reader of `body` — sees exactly what the provider sent. Older SDKs' node-fetch Responses have a Node stream
// body: it is piped through a pass-through that looks at each chunk.
import { Transform } from "node:stream";
import { log } from "../../log.js";
import { replaceResponseBody } from "./response-body.js";

/**
 * Observes an ok response's body line by line. `onLine` returns false to stop looking (the file is not one
 * the adapter reads); a line that is not JSON is skipped.
 */
export function observeJsonlBody(response: any, onLine: (line: unknown) => boolean): void {
  if (!response?.ok || !response.body) return;
  const ownBody = findBodyGetter(response);
  const initial = ownBody?.call(response);
  if (typeof initial?.getReader === "function") observeWebBody(response, ownBody!, new Lines(onLine));
  else if (typeof initial?.pipe === "function") observeNodeBody(response, ownBody!, new Lines(onLine));
  else
    log.warnOnce("batch-results-body", "a batch results body of an unknown kind; its lines are not recorded");
}

function findBodyGetter(response: object): (() => any) | undefined {
  for (let p = Object.getPrototypeOf(response); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const getter = Object.getOwnPropertyDescriptor(p, "body")?.get;
    if (getter) return getter;
  }
  return undefined;
}

/** Splits the text of the chunks handed on into lines, each parsed and given to `onLine` until it says stop. */
class Lines {
  readonly #decoder = new TextDecoder();
  #pending = "";
  #looking = true;
  constructor(private readonly onLine: (line: unknown) => boolean) {}

  chunk(bytes: Uint8Array): void {
    if (!this.#looking) return;
    this.#pending += this.#decoder.decode(bytes, { stream: true });
    for (
      let end = this.#pending.indexOf("\n");
      end >= 0 && this.#looking;
      end = this.#pending.indexOf("\n")
    ) {
      this.#line(this.#pending.slice(0, end));
      this.#pending = this.#pending.slice(end + 1);
    }
    if (!this.#looking) this.#pending = "";
  }

  end(): void {
    if (!this.#looking) return;
    this.#pending += this.#decoder.decode();
    this.#line(this.#pending);
    this.#pending = "";
  }

  #line(text: string): void {
    if (!text.trim()) return;
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      return; // not ours to judge: the reader's own parser says what is wrong with it
    }
    try {
      this.#looking = this.onLine(line);
    } catch (error) {
      log.internalFailure("batch-line", error);
    }
  }
}

/** A fetch Response: `body` and the readers get one observed web stream, made at the first read. */
function observeWebBody(response: any, ownBody: () => any, lines: Lines): void {
  let observed: ReadableStream<Uint8Array> | undefined;
  const body = () => {
    observed ??= observedWebStream(() => ownBody.call(response), lines);
    return observed;
  };
  replaceResponseBody(response, body);
}

function observedWebStream(
  source: () => ReadableStream<Uint8Array>,
  lines: Lines,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= source().getReader();
        const result = await reader.read();
        if (result.done) {
          lines.end();
          controller.close();
          return;
        }
        lines.chunk(result.value);
        controller.enqueue(result.value);
      },
      cancel(reason) {
        return reader ? reader.cancel(reason) : source().cancel(reason);
      },
    },
    // Nothing is read ahead of the reader: a line is observed when it is handed on.
    { highWaterMark: 0 },
  );
}

/**
 * A node-fetch Response (what the older SDKs read the results through, at `body`): its body piped through a
 * pass-through that looks at each chunk, made at the first read of `body`.
 */
function observeNodeBody(response: any, ownBody: () => any, lines: Lines): void {
  let observed: Transform | undefined;
  Object.defineProperty(response, "body", {
    configurable: true,
    get() {
      if (!observed) {
        const source = ownBody.call(response);
        const tap = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            lines.chunk(chunk);
            done(null, chunk);
          },
          flush(done) {
            lines.end();
            done();
          },
        });
        source.on("error", (error: Error) => tap.destroy(error));
        source.pipe(tap);
        observed = tap;
      }
      return observed;
    },
  });
}
