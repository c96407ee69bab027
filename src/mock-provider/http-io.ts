import type { IncomingMessage, ServerResponse } from "node:http";
import { constants as http2Constants } from "node:http2";

/** True once the response can no longer be written (finished, or the client went away). */
export function isGone(res: ServerResponse): boolean {
  // An HTTP/2 (compatibility API) response has no `destroyed`; its stream does.
  const stream = (res as { stream?: { destroyed?: boolean } }).stream;
  return res.destroyed || res.writableEnded || stream?.destroyed === true;
}

/**
 * Kills the response mid-body. HTTP/1.1: destroy the socket. HTTP/2: reset the stream with INTERNAL_ERROR,
 * which is how a connection dying mid-stream reaches the client there (a plain session close reads as a
 * clean end of stream).
 */
export function dropConnection(res: ServerResponse): void {
  const stream = (res as { stream?: { close(code: number): void } }).stream;
  if (stream) stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
  else {
    res.socket?.destroy();
    res.destroy();
  }
}

/** Waits `ms`, or less if the response is gone meanwhile (nobody is waiting for it any more). */
export function delay(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0 || isGone(res)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once("close", done);
  });
}

/**
 * Writes and waits until the data is handed to the socket, so stream events reach the client one by one
 * and a following socket destroy cannot drop them. Resolves false if the response is gone.
 */
export function writeFlushed(res: ServerResponse, data: string | Uint8Array): Promise<boolean> {
  if (isGone(res)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = () => resolve(false);
    res.once("close", onClose);
    res.write(data, (error) => {
      res.off("close", onClose);
      resolve(!error);
    });
  });
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    // HTTP/2 pseudo-headers (`:method`, `:path`…) are not headers the client set.
    if (value === undefined || name.startsWith(":")) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  if (isGone(res)) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}
