// AWS Bedrock Runtime (`@aws-sdk/client-bedrock-runtime` v3): Converse and ConverseStream (operation "chat"),
// InvokeModel and InvokeModelWithResponseStream (operation "invoke": the body is model-specific, chat or
// embeddings alike). Every command goes through `BedrockRuntimeClient.prototype.send` (the aggregated
// `BedrockRuntime` client's methods call it too), so that is the one method patched, dispatching on the command.
import { beginCall, type CallRecord, type CallStart, callStorage, internalFailure } from "../call-record.js";
import { estimateTokensOfText } from "../estimate.js";
import { patchMethod } from "../patch.js";
import {
  converseUsage,
  headerUsage,
  invokeBodyUsage,
  invokeChunkIsContent,
  invokeChunkUsage,
} from "./usage.js";

type Undo = (() => void) | undefined;
type Kind = "Converse" | "ConverseStream" | "InvokeModel" | "InvokeModelWithResponseStream";

const KINDS = new Set<string>(["Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"]);
const ORIGINAL = Symbol.for("costtrail.original");
const HEADERS_MIDDLEWARE = "costtrailBedrockUsageHeaders";
/**
 * Bodies larger than this are not parsed: a request's only serves estimates (an image-laden prompt is not
 * worth it), a response's usage is in the headers too.
 */
const MAX_PARSED_BODY = 1 << 20;

/**
 * The operation a command performs: its class name (`ConverseCommand`), or, should a bundler have renamed
 * the class, the operation name in its Smithy schema (`[9, namespace, "Converse", …]`).
 */
function kindOf(command: any): Kind | undefined {
  const name = command?.constructor?.name;
  if (typeof name === "string" && name.endsWith("Command") && KINDS.has(name.slice(0, -7)))
    return name.slice(0, -7) as Kind;
  const schema = command?.schema;
  const op = Array.isArray(schema) ? schema[2] : undefined;
  return typeof op === "string" && KINDS.has(op) ? (op as Kind) : undefined;
}

/** InvokeModel's `body` (string or bytes) as JSON, when it is small enough and is JSON. */
function parseBody(body: unknown): any {
  let text: string | undefined;
  if (typeof body === "string") text = body;
  else if (ArrayBuffer.isView(body) || body instanceof ArrayBuffer) {
    if (body.byteLength > MAX_PARSED_BODY) return undefined;
    text = new TextDecoder().decode(body);
  }
  if (text === undefined || text.length > MAX_PARSED_BODY) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Text characters of a request, skipping binary content (Converse `bytes`, base64 `data` in bodies). */
function requestText(value: unknown, depth = 0): number {
  if (typeof value === "string") return value.length;
  if (depth > 8 || !value || typeof value !== "object" || ArrayBuffer.isView(value)) return 0;
  let total = 0;
  if (Array.isArray(value)) for (const item of value) total += requestText(item, depth + 1);
  else
    for (const [key, item] of Object.entries(value))
      if (key !== "bytes" && key !== "data") total += requestText(item, depth + 1);
  return total;
}

function describe(kind: Kind, input: any): Omit<CallStart, "headers"> {
  const stream = kind === "ConverseStream" || kind === "InvokeModelWithResponseStream";
  const base = { provider: "bedrock", requestModel: String(input?.modelId ?? "unknown"), stream };
  if (kind === "Converse" || kind === "ConverseStream") {
    return {
      ...base,
      operation: "chat",
      estimateInputTokens: () =>
        estimateTokensOfText(requestText(input.messages) + requestText(input.system)) +
        3 * (Array.isArray(input.messages) ? input.messages.length : 0),
      maxOutputTokens: input.inferenceConfig?.maxTokens,
    };
  }
  const body = parseBody(input?.body);
  return {
    ...base,
    operation: "invoke",
    estimateInputTokens: () =>
      body === undefined
        ? estimateTokensOfText(typeof input?.body === "string" ? input.body.length : 0)
        : estimateTokensOfText(requestText(body)),
    maxOutputTokens:
      body?.max_tokens ??
      body?.max_gen_len ??
      body?.textGenerationConfig?.maxTokenCount ??
      body?.inferenceConfig?.maxTokens ??
      body?.inferenceConfig?.max_new_tokens,
  };
}

/** The token-count headers of the last attempt, by call (Bedrock's own counts, when a body has none). */
const headerCounts = new WeakMap<CallRecord, Record<string, string>>();

/**
 * A deserialize-step middleware, so it runs once per attempt and sees the raw HTTP response, whose headers
 * the SDK does not otherwise expose. It finds its call through `callStorage`, so a handler the SDK caches
 * (`cacheMiddleware: true`) still reports to the right call.
 */
function captureHeaders(next: (args: any) => Promise<any>) {
  return async (args: any) => {
    const result = await next(args);
    try {
      const record = callStorage.getStore();
      const headers = result?.response?.headers;
      if (record && headers && typeof headers === "object") {
        const picked: Record<string, string> = {};
        for (const [name, value] of Object.entries(headers)) {
          const lower = name.toLowerCase();
          if (lower.startsWith("x-amzn-bedrock-") && lower.endsWith("-count")) picked[lower] = String(value);
        }
        headerCounts.set(record, picked);
      }
    } catch (error) {
      internalFailure("bedrock-headers", error);
    }
    return result;
  };
}

/** Attempts and status as the SDK counted them (`$metadata`), on outputs and on errors alike. */
function readMetadata(record: CallRecord, value: any): void {
  const meta = value?.$metadata;
  if (typeof meta?.attempts === "number") record.attempts = meta.attempts;
  if (typeof meta?.httpStatusCode === "number") record.httpStatus = meta.httpStatusCode;
}

function fail(record: CallRecord, error: unknown): void {
  readMetadata(record, error);
  record.fail(error);
}

function observeOutput(kind: Kind, output: any, record: CallRecord, signal: AbortSignal | undefined): void {
  readMetadata(record, output);
  switch (kind) {
    case "Converse":
      if (output?.usage) record.reportUsage(converseUsage(output.usage));
      record.finish("ok");
      return;
    case "InvokeModel": {
      const body = parseBody(output?.body);
      if (typeof body?.model === "string") record.responseModel = body.model;
      const usage = invokeBodyUsage(body) ?? headerUsage(headerCounts.get(record) ?? {});
      if (usage) record.reportUsage(usage);
      record.finish("ok");
      return;
    }
    case "ConverseStream":
      observeEventStream(output, "stream", record, signal, (event) => {
        if (event?.metadata?.usage) record.reportUsage(converseUsage(event.metadata.usage));
        return Boolean(event?.contentBlockDelta);
      });
      return;
    case "InvokeModelWithResponseStream":
      observeEventStream(output, "body", record, signal, (event) => {
        const chunk = parseBody(event?.chunk?.bytes);
        if (chunk === undefined) return false;
        if (chunk.type === "message_start" && typeof chunk.message?.model === "string")
          record.responseModel = chunk.message.model;
        const usage = invokeChunkUsage(chunk, record.usage);
        if (usage) record.reportUsage(usage);
        return invokeChunkIsContent(chunk);
      });
  }
}

/**
 * Wraps the output's event stream (`stream` or `body`, an async iterable the SDK made) in place: the user
 * keeps the SDK's object and sees the same events; iterating it is observed, and the call ends once, when
 * the stream completes, fails, or is left early.
 */
function observeEventStream(
  output: any,
  key: "stream" | "body",
  record: CallRecord,
  signal: AbortSignal | undefined,
  onEvent: (event: any) => boolean,
): void {
  const iterable = output?.[key];
  const iterate = iterable?.[Symbol.asyncIterator];
  if (typeof iterate !== "function") {
    record.finish("ok");
    return;
  }
  Object.defineProperty(iterable, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: function (this: unknown) {
      return observeIterator(Reflect.apply(iterate, this, []), record, signal, onEvent);
    },
  });
}

async function* observeIterator(
  inner: AsyncIterator<unknown>,
  record: CallRecord,
  signal: AbortSignal | undefined,
  onEvent: (event: any) => boolean,
) {
  let completed = false;
  try {
    for await (const event of { [Symbol.asyncIterator]: () => inner }) {
      try {
        record.sawItem(onEvent(event));
      } catch (error) {
        internalFailure("bedrock-stream-event", error);
      }
      yield event;
    }
    completed = true;
  } catch (error) {
    // Exceptions sent in the stream, a dropped connection, the user's abortSignal (AbortError → aborted).
    fail(record, error);
    throw error;
  } finally {
    // The SDK ends the stream quietly when the send's abortSignal fires; a `break` lands here uncompleted.
    if (signal?.aborted) record.finish("aborted", "AbortError");
    else if (!completed) record.finish("aborted", "StreamClosedEarly");
    // Bedrock always ends a stream with its usage (metadata event, invocation metrics): none means cut short.
    else if (!record.usageReported) record.finish("error", "IncompleteStream");
    else record.finish("ok");
  }
}

function isLimitError(error: unknown): boolean {
  return (error as Error)?.name === "LimitExceededError";
}

function instrumentedSend(target: () => (...args: any[]) => any) {
  return function send(this: any, ...args: any[]): any {
    const [command] = args;
    const original = target();
    const kind = kindOf(command);
    if (!kind) return Reflect.apply(original, this, args);
    let record: CallRecord | undefined;
    try {
      // Bedrock requests carry no costtrail headers: annotations come from @track / trackContext scopes.
      record = beginCall({ ...describe(kind, command.input ?? {}), headers: [] });
    } catch (error) {
      if (isLimitError(error)) {
        // A block limit: the provider is not contacted; the error arrives the way the SDK's own errors do.
        const callback = args.find((a, i) => i > 0 && typeof a === "function");
        if (callback) {
          callback(error);
          return undefined;
        }
        return Promise.reject(error);
      }
      internalFailure("bedrock-request", error);
    }
    if (!record) return Reflect.apply(original, this, args);
    const call = record;
    const stack = command.middlewareStack;
    let added = false;
    try {
      if (typeof stack?.add === "function") {
        stack.add(captureHeaders, { step: "deserialize", name: HEADERS_MIDDLEWARE, override: true });
        added = true;
      }
    } catch (error) {
      internalFailure("bedrock-middleware", error);
    }
    const signal: AbortSignal | undefined =
      args[1] && typeof args[1] === "object" ? args[1].abortSignal : undefined;
    const callbackAt = args.findIndex((a, i) => i > 0 && typeof a === "function");
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
      result = callStorage.run(call, Reflect.apply, original, this, args);
    } catch (error) {
      fail(call, error);
      throw error;
    } finally {
      if (added) {
        try {
          stack.remove(HEADERS_MIDDLEWARE);
        } catch (error) {
          internalFailure("bedrock-middleware", error);
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
  };
}

function settle(
  kind: Kind,
  record: CallRecord,
  error: unknown,
  output: unknown,
  signal: AbortSignal | undefined,
): void {
  if (error) {
    fail(record, error);
    return;
  }
  try {
    observeOutput(kind, output, record, signal);
  } catch (err) {
    internalFailure("bedrock-response", err);
    record.finish("ok");
  }
}

/**
 * `send` lives on Smithy's shared `Client` class, which every AWS client inherits: define Bedrock's own
 * `send` on `BedrockRuntimeClient.prototype` instead (S3 and the rest stay untouched), delegating to whatever
 * the parent's `send` is at call time (another instrumentation may wrap it later). Undo deletes it again.
 */
function patchSend(proto: any): Undo {
  if (!proto) return undefined;
  if (Object.hasOwn(proto, "send")) {
    const own = proto.send;
    return patchMethod(proto, "send", () => instrumentedSend(() => own));
  }
  const parent = Object.getPrototypeOf(proto);
  const inherited = parent?.send;
  if (typeof inherited !== "function" || inherited[ORIGINAL]) return undefined;
  const patched = instrumentedSend(() => parent.send);
  Object.defineProperty(patched, ORIGINAL, { value: inherited });
  Object.defineProperty(patched, "name", { value: inherited.name });
  Object.defineProperty(patched, "length", { value: inherited.length });
  Object.defineProperty(proto, "send", {
    configurable: true,
    writable: true,
    enumerable: false,
    value: patched,
  });
  return () => {
    if (Object.getOwnPropertyDescriptor(proto, "send")?.value === patched) delete proto.send;
  };
}

/** Patches one loaded instance (CJS or ESM build) of `@aws-sdk/client-bedrock-runtime`. */
export function patchBedrock(sdk: Record<string, unknown>): Undo[] {
  const Client = (sdk.BedrockRuntimeClient ?? (sdk.default as any)?.BedrockRuntimeClient) as any;
  if (typeof Client !== "function") return [];
  return [patchSend(Client.prototype)];
}
