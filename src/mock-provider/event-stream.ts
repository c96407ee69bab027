import type { ServerResponse } from "node:http";
import { delay, dropConnection, isGone, writeFlushed } from "./http-io.js";
import type { SseOutcome, SseWriteOptions } from "./sse.js";

/** One message of an `application/vnd.amazon.eventstream` response, before encoding. */
export interface EventStreamMessage {
  /** `:event-type`, e.g. `chunk` (InvokeModelWithResponseStream) or `contentBlockDelta` (ConverseStream). */
  eventType: string;
  /** Sent as JSON, as Bedrock does (`:content-type: application/json`). */
  payload: unknown;
}

interface Codec {
  encode(message: {
    headers: Record<string, { type: "string"; value: string }>;
    body: Uint8Array;
  }): Uint8Array;
}

let codec: Promise<{ codec: Codec; fromUtf8: (s: string) => Uint8Array }> | undefined;

/**
 * The AWS event-stream codec (prelude, headers, CRC32s) from `@smithy/eventstream-codec`, loaded on first use:
 * it is a development dependency, and only Bedrock streams need it, so `costtrail demo` runs without it.
 */
function loadCodec() {
  codec ??= Promise.all([import("@smithy/eventstream-codec"), import("@smithy/util-utf8")]).then(
    ([{ EventStreamCodec }, { toUtf8, fromUtf8 }]) => ({
      codec: new EventStreamCodec(toUtf8, fromUtf8) as Codec,
      fromUtf8,
    }),
  );
  return codec;
}

/** Encodes messages with the headers AWS sends on every event. */
export async function encodeEventStream(messages: readonly EventStreamMessage[]): Promise<Uint8Array[]> {
  const { codec: c, fromUtf8 } = await loadCodec();
  return messages.map((m) =>
    c.encode({
      headers: {
        ":event-type": { type: "string", value: m.eventType },
        ":content-type": { type: "string", value: "application/json" },
        ":message-type": { type: "string", value: "event" },
      },
      body: fromUtf8(JSON.stringify(m.payload)),
    }),
  );
}

/**
 * Writes the head and the encoded messages one flushed write at a time, like `writeSse`: same pacing,
 * disconnect and malformed (first message cut in half, so the client's CRC check fails) behaviour.
 */
export async function writeEventStream(
  res: ServerResponse,
  headers: Record<string, string>,
  messages: readonly EventStreamMessage[],
  options: SseWriteOptions,
): Promise<SseOutcome> {
  const frames = await encodeEventStream(messages);
  if (isGone(res)) return "client-closed";
  res.writeHead(200, { ...headers, "content-type": "application/vnd.amazon.eventstream" });
  res.flushHeaders();
  const list =
    options.malformed && frames.length > 0
      ? [frames[0]!.subarray(0, Math.max(1, Math.floor(frames[0]!.length / 2)))]
      : frames;
  for (let i = 0; i < list.length; i++) {
    if (options.disconnectAfter !== undefined && i >= options.disconnectAfter)
      return disconnect(res, options);
    if (i > 0 && options.chunkDelayMs > 0) await delay(options.chunkDelayMs, res);
    if (!(await writeFlushed(res, list[i]!))) return "client-closed";
  }
  if (options.disconnectAfter !== undefined) return disconnect(res, options);
  if (isGone(res)) return "client-closed";
  res.end();
  return "completed";
}

function disconnect(res: ServerResponse, options: SseWriteOptions): SseOutcome {
  options.onDisconnect?.();
  dropConnection(res);
  return "disconnected";
}
