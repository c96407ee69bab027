// The client class of the OpenAI and Anthropic SDKs (Stainless): two per-request hooks every request passes
// through, patched once per client class.
//
// - `prepareOptions(options)`: awaited by `makeRequest` before every attempt, before the request is built, with
//   the resolved options (method, path, body); an error thrown there rejects the SDK's own APIPromise as it is,
//   unretried (openai 5–7, @anthropic-ai/sdk 0.30–1.x). A billable request's call starts there, on the first
//   attempt, and its pending admission (a limit gate asking its store, or a block) is awaited there.
// - `fetchWithTimeout(url, init, ms, controller)`: runs once per attempt of every request, priced or not. It
//   strips `x-costtrail-*` headers at the last moment, whatever set them (request options, `defaultHeaders`,
//   `fetchOptions`, a raw `client.get`), except on a call whose header sources were read at its start and carry
//   none (`RequestSlot.scanHeaders`); for a call it counts attempts (retries make one event with `attempts > 1`) and
//   observes a streamed response at its body (event-stream-body.ts). A batch results request (not a call) has
//   its JSONL body observed there too (jsonl-body.ts), and waits in `prepareOptions` for what attributes it.
import { HEADER_PREFIX } from "../../annotations/headers.js";
import { pendingAdmission } from "../../calls/index.js";
import { log } from "../../log.js";
import { getRuntime } from "../../runtime.js";
import { prepareBatchRequest } from "./batch-request.js";
import { startBillableCall } from "./billable-request.js";
import { observeEventStreamBody } from "./event-stream-body.js";
import { observeJsonlBody } from "./jsonl-body.js";
import { ownerOf, patchMethod, type Undo } from "./patch.js";
import { requestSlots } from "./request-slot.js";

export function patchSdkClient(clientProto: object | undefined, label: string): Undo[] {
  return [
    patchMethod(
      `${label} client.prepareOptions (limit admission before the first attempt)`,
      ownerOf(clientProto, "prepareOptions"),
      "prepareOptions",
      (original) =>
        function prepareOptions(this: unknown, options: unknown) {
          const slot = requestSlots.get();
          const call = slot && startBillableCall(slot, this, options);
          // A batch results request waits (briefly) for what attributes its lines (batch-request.ts).
          const pending = call ? pendingAdmission(call) : slot?.batch && prepareBatchRequest(slot.batch);
          // biome-ignore lint/complexity/noArguments: forwarded exactly as the SDK made it
          if (!pending) return Reflect.apply(original, this, arguments);
          // biome-ignore lint/complexity/noArguments: kept for the deferred call, exactly as the SDK made it
          const args = arguments;
          return pending.then(() => Reflect.apply(original, this, args));
        },
    ),
    patchMethod(
      `${label} client.fetchWithTimeout (x-costtrail-* header stripping, attempts, streamed bodies)`,
      ownerOf(clientProto, "fetchWithTimeout"),
      "fetchWithTimeout",
      (original) =>
        function fetchWithTimeout(
          this: unknown,
          _url: unknown,
          init: any,
          _ms: unknown,
          controller: any,
        ): any {
          const slot = requestSlots.get();
          if (slot?.scanHeaders !== false && !getRuntime()?.config.forwardHeaders)
            stripHeaders(init?.headers);
          const call = slot?.call;
          if (!call) {
            // biome-ignore lint/complexity/noArguments: forwarded exactly as the SDK made it
            const response = Reflect.apply(original, this, arguments);
            const batch = slot?.batch;
            if (!batch?.route.onLine || typeof response?.then !== "function") return response;
            return response.then((res: unknown) => {
              try {
                observeJsonlBody(res, (line) => batch.route.onLine!(line, batch));
              } catch (error) {
                log.internalFailure("batch-results-body", error);
              }
              return res;
            });
          }
          // Only reached unadmitted when a subclass's prepareOptions skips ours: the call still waits here.
          const pending = pendingAdmission(call);
          if (pending) {
            // biome-ignore lint/complexity/noArguments: kept for the deferred call, exactly as the SDK made it
            const args = arguments;
            return pending.then(() => Reflect.apply(fetchWithTimeout, this, args));
          }
          call.attempts++;
          // biome-ignore lint/complexity/noArguments: forwarded exactly as the SDK made it
          const response = Reflect.apply(original, this, arguments);
          if (typeof response?.then !== "function") return response;
          // An attempt aborted in flight (its timeout, or the user) was sent unanswered, and the provider may bill
          // it (docs/pricing.md "Estimated costs"). Non-streaming: a side branch (the SDK still gets the rejection);
          // streaming: the same reaction as the body's, so a stream attempt adds one promise, not two.
          const unanswered = (error: unknown) => {
            if ((error as { name?: unknown } | null)?.name === "AbortError") call.unansweredAttempts++;
          };
          if (!call.start.stream) {
            response.then(undefined, unanswered);
            return response;
          }
          return response.then(
            (res: unknown) => {
              try {
                observeEventStreamBody(res, call, controller?.signal);
              } catch (error) {
                log.internalFailure("stream-body", error);
              }
              return res;
            },
            (error: unknown) => {
              unanswered(error);
              throw error;
            },
          );
        },
    ),
  ];
}

/** Deletes every `x-costtrail-*` header (Headers or a plain object), in place. */
function stripHeaders(headers: unknown): void {
  if (!headers || typeof headers !== "object") return;
  if (typeof (headers as Headers).delete === "function") {
    const names: string[] = [];
    (headers as Headers).forEach((_v, name) => {
      if (name.toLowerCase().startsWith(HEADER_PREFIX)) names.push(name);
    });
    for (const name of names) (headers as Headers).delete(name);
  } else if (!Array.isArray(headers)) {
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase().startsWith(HEADER_PREFIX)) delete (headers as Record<string, unknown>)[name];
    }
  }
}
