import type { ServerResponse } from "node:http";
import { delay, isGone, writeFlushed } from "./http-io.js";

/** One server-sent event; `data` is already serialised (JSON, or OpenAI's `[DONE]`). */
export interface SseEvent {
  event?: string;
  data: string;
}

export function sseEvent(event: string | undefined, data: unknown): SseEvent {
  const serialised = typeof data === "string" ? data : JSON.stringify(data);
  return event === undefined ? { data: serialised } : { event, data: serialised };
}

export function formatSse(e: SseEvent): string {
  return (e.event === undefined ? "" : `event: ${e.event}\n`) + `data: ${e.data}\n\n`;
}

export interface SseWriteOptions {
  chunkDelayMs: number;
  /** Destroy the socket after writing this many events. */
  disconnectAfter?: number;
  /** Write the first event with its data cut in half, then end normally. */
  malformed?: boolean;
  /** Called just before a fault disconnect, so the caller can tell it from a client abort. */
  onDisconnect?: () => void;
}

export type SseOutcome = "completed" | "disconnected" | "client-closed";

/** Writes the head and the events one flushed write at a time, pausing `chunkDelayMs` between events. */
export async function writeSse(
  res: ServerResponse,
  headers: Record<string, string>,
  events: readonly SseEvent[],
  options: SseWriteOptions,
): Promise<SseOutcome> {
  if (isGone(res)) return "client-closed";
  res.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  res.flushHeaders();
  const list = options.malformed && events.length > 0 ? [truncated(events[0]!)] : events;
  for (let i = 0; i < list.length; i++) {
    if (options.disconnectAfter !== undefined && i >= options.disconnectAfter)
      return disconnect(res, options);
    if (i > 0 && options.chunkDelayMs > 0) await delay(options.chunkDelayMs, res);
    if (!(await writeFlushed(res, formatSse(list[i]!)))) return "client-closed";
  }
  // The fault asked for at least as many events as there are: all are written, then the connection dies unfinished.
  if (options.disconnectAfter !== undefined) return disconnect(res, options);
  if (isGone(res)) return "client-closed";
  res.end();
  return "completed";
}

function truncated(e: SseEvent): SseEvent {
  return { ...e, data: e.data.slice(0, Math.max(1, Math.floor(e.data.length / 2))) };
}

/** Kills the connection mid-body: the client sees the transfer end without its terminating chunk. */
function disconnect(res: ServerResponse, options: SseWriteOptions): SseOutcome {
  options.onDisconnect?.();
  res.socket?.destroy();
  res.destroy();
  return "disconnected";
}
