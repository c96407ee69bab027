// `BedrockRuntimeClient.prototype.send(command, options?, callback?)`, translated into the call lifecycle:
// every Bedrock command goes through it (the aggregated `BedrockRuntime` client's methods call it too).
import {
  type Call,
  failCall,
  finishCall,
  pendingAdmission,
  runWithCall,
  startCall,
} from "../../calls/index.js";
import { log } from "../../log.js";
import { describeCommand, observeOutput } from "./commands.js";
import { captureHeaders, HEADERS_MIDDLEWARE } from "./headers.js";
import { type Kind, kindOf, readMetadata } from "./utils.js";

type Send = (this: any, ...args: any[]) => any;

export function instrumentSend(original: Send): Send {
  return function send(this: any, ...args: any[]): any {
    const kind = kindOf(args[0]);
    if (!kind) return Reflect.apply(original, this, args);
    let call: Call | undefined;
    try {
      // Bedrock requests carry no costtrail headers: annotations come from @track / trackContext scopes.
      call = startCall({ ...describeCommand(kind, args[0].input ?? {}), headers: [] });
    } catch (error) {
      log.internalFailure("bedrock-request", error);
    }
    if (!call) return Reflect.apply(original, this, args);
    const admitted = call;
    const callbackAt = args.findIndex((a, i) => i > 0 && typeof a === "function");
    const pending = pendingAdmission(admitted);
    // The hot path: admitted now (or no limit applies), sent now.
    if (!pending) return sendNow(this, original, args, kind, admitted, callbackAt);
    // `send` is async: wait for the limit gate before the original runs; a block rejects as the SDK's errors do.
    if (callbackAt > 0) {
      const callback = args[callbackAt];
      pending.then(
        () => sendNow(this, original, args, kind, admitted, callbackAt),
        (error: unknown) => callback(error),
      );
      return undefined;
    }
    return pending.then(() => sendNow(this, original, args, kind, admitted, callbackAt));
  };
}

function sendNow(client: unknown, original: Send, args: any[], kind: Kind, call: Call, callbackAt: number) {
  const stack = args[0].middlewareStack;
  let added = false;
  try {
    if (typeof stack?.add === "function") {
      stack.add(captureHeaders, { step: "deserialize", name: HEADERS_MIDDLEWARE, override: true });
      added = true;
    }
  } catch (error) {
    log.internalFailure("bedrock-middleware", error);
  }
  const signal: AbortSignal | undefined =
    args[1] && typeof args[1] === "object" ? args[1].abortSignal : undefined;
  if (callbackAt > 0) {
    const callback = args[callbackAt];
    args[callbackAt] = (error: unknown, output: unknown) => {
      settle(kind, call, error, output, signal);
      return callback(error, output);
    };
  }
  let result: any;
  try {
    // The SDK resolves its middleware synchronously inside send(): the header middleware is in this call's
    // handler and can leave the user's command as it was.
    result = runWithCall(call, original, client, args);
  } catch (error) {
    readMetadata(error, call);
    failCall(call, error);
    throw error;
  } finally {
    if (added) {
      try {
        stack.remove(HEADERS_MIDDLEWARE);
      } catch (error) {
        log.internalFailure("bedrock-middleware", error);
      }
    }
  }
  if (callbackAt > 0 || typeof result?.then !== "function") return result;
  return result.then(
    (output: unknown) => {
      settle(kind, call, undefined, output, signal);
      return output;
    },
    (error: unknown) => {
      settle(kind, call, error, undefined, signal);
      throw error;
    },
  );
}

function settle(
  kind: Kind,
  call: Call,
  error: unknown,
  output: unknown,
  signal: AbortSignal | undefined,
): void {
  if (error) {
    readMetadata(error, call);
    failCall(call, error);
    return;
  }
  try {
    observeOutput(kind, output, call, signal);
  } catch (err) {
    log.internalFailure("bedrock-response", err);
    finishCall(call, "ok");
  }
}
