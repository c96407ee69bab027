// A billable resource method of the OpenAI and Anthropic SDKs (`Completions.prototype.create`…), translated
// into the call lifecycle: describe the request → calls/start → the SDK's own method, with the call on its async
// path → observe the APIPromise it returns. The user gets that APIPromise back, whatever happens.
import { type CallStart, failCall, runWithCall, startCall } from "../../calls/index.js";
import { log } from "../../log.js";
import { observeApiPromise, type ResultObserver } from "./api-promise.js";

/** One row of a provider's method table: what a billable method is and how its results are read. */
export interface BillableMethod {
  /** The SDK surface it patches, for messages (`chat.completions.create`). */
  label: string;
  /** The resource class's prototype on a loaded SDK (`OpenAI.Chat.Completions.prototype`). */
  resource: (sdk: any) => object | undefined;
  describe(client: any, body: any): Omit<CallStart, "headers" | "sdkError">;
  /** May return a changed copy of the body (never mutate the user's) and the observer that fits it. */
  prepare?(body: any): { body: any; observer: ResultObserver };
  observer: ResultObserver;
}

/**
 * Wraps `create(body, options)`. `sdkError` is the SDK's base error class: a blocked call rejects, through the
 * SDK's own promise (see sdk-client.ts), with a LimitExceededError of that class.
 */
export function wrapResourceMethod(method: BillableMethod, sdkError: CallStart["sdkError"]) {
  return (original: (this: any, ...args: any[]) => any) =>
    function instrumentedCreate(this: any, ...args: any[]): any {
      const [body, options] = args;
      let call: ReturnType<typeof startCall>;
      let sentBody = body;
      let observer = method.observer;
      try {
        const headers = [this?._client?._options?.defaultHeaders, options?.headers];
        call = startCall({ ...method.describe(this?._client, body ?? {}), headers, sdkError });
        if (call && method.prepare && body && typeof body === "object") {
          ({ body: sentBody, observer } = method.prepare(body));
        }
      } catch (error) {
        log.internalFailure("request", error);
      }
      if (!call) return Reflect.apply(original, this, args);
      if (sentBody !== body) args[0] = sentBody;
      let result: any;
      try {
        result = runWithCall(call, original, this, args);
      } catch (error) {
        failCall(call, error);
        throw error;
      }
      try {
        observeApiPromise(result, call, observer);
      } catch (error) {
        log.internalFailure("response", error);
      }
      return result;
    };
}
