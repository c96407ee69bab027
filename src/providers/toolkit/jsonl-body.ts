// A JSONL response (a batch's results file) observed at its body as it is read: the bytes are handed on
// unchanged, one chunk per read, and each complete line is parsed on the side for the adapter. The Response
// keeps its identity; only its `body` and the readers built on it are given the observed stream (as
// event-stream-body.ts does for SSE). Whoever reads the results — the SDK's JSONL decoder, `text()`, a
// reader of `body` — sees exactly what the provider sent.
import { log } from "../../log.js";

const READERS = ["text", "json", "arrayBuffer", "blob", "bytes"] as const;

/**
 * Observes an ok response's body line by line. `onLine` returns false to stop looking (the file is not one
 * the adapter reads); a line that is not JSON is skipped. Older SDKs' node-fetch bodies are not observed.
 */
export function observeJsonlBody(response: any, onLine: (line: unknown) => boolean): void {
  if (!response?.ok || !response.body) return;
  const ownBody = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(response), "body")?.get;
  if (!ownBody || typeof ownBody.call(response)?.getReader !== "function") {
    log.warnOnce(
      "batch-results-body",
      "a batch results file came in a body costtrail cannot observe (node-fetch); its lines are not recorded",
    );
    return;
  }
  let observed: ReadableStream<Uint8Array> | undefined;
  const body = () => {
    observed ??= observedBody(() => ownBody.call(response), onLine);
    return observed;
  };
  Object.defineProperty(response, "body", { configurable: true, get: body });
  const proto = Object.getPrototypeOf(response);
  for (const key of READERS) {
    const read = proto?.[key];
    if (typeof read !== "function") continue;
    Object.defineProperty(response, key, {
      configurable: true,
      writable: true,
      value: function (this: any) {
        return Reflect.apply(read, new Response(body(), { headers: this.headers }), []);
      },
    });
  }
}

function observedBody(
  source: () => ReadableStream<Uint8Array>,
  onLine: (line: unknown) => boolean,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const decoder = new TextDecoder();
  let pending = "";
  let looking = true;
  const read = (text: string) => {
    if (!text.trim()) return;
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      return; // not ours to judge: the reader's own parser says what is wrong with it
    }
    try {
      looking = onLine(line);
    } catch (error) {
      log.internalFailure("batch-line", error);
    }
  };
  const split = (text: string) => {
    pending += text;
    for (let end = pending.indexOf("\n"); end >= 0 && looking; end = pending.indexOf("\n")) {
      read(pending.slice(0, end));
      pending = pending.slice(end + 1);
    }
    if (!looking) pending = "";
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= source().getReader();
        const result = await reader.read();
        if (result.done) {
          if (looking) {
            split(decoder.decode());
            read(pending);
            pending = "";
          }
          controller.close();
          return;
        }
        if (looking) split(decoder.decode(result.value, { stream: true }));
        controller.enqueue(result.value);
      },
      cancel(reason) {
        return reader ? reader.cancel(reason) : source().cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
