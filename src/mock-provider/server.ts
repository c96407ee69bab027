import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server } from "node:http2";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { AdminEndpoints } from "./admin-dispatch.js";
import { isAdminOperation } from "./admin-routes.js";
import { handleCountTokens, handleMessages } from "./anthropic.js";
import { BatchEndpoints, type BatchLineRunner } from "./batches.js";
import { handleBedrockConverse, handleBedrockInvoke } from "./bedrock.js";
import { bedrockErrorHeaders, defaultFaultMessage, errorBody, type MockError } from "./errors.js";
import { writeEventStream } from "./event-stream.js";
import { FaultQueue } from "./faults.js";
import type { Exchange, Handler, HandlerContext } from "./handler.js";
import { delay, headerRecord, isGone, readBody, sendJson } from "./http-io.js";
import { ids } from "./ids.js";
import { handleChat } from "./openai-chat.js";
import { handleEmbeddings } from "./openai-embeddings.js";
import { handleResponses } from "./openai-responses.js";
import { AnthropicPromptCache, OpenAIPromptCache } from "./prompt-cache.js";
import { type Route, routeRequest } from "./routes.js";
import { writeSse } from "./sse.js";
import type { Fault, MockOperation, MockProvider, MockProviderOptions, RecordedRequest } from "./types.js";
import { finalUsage } from "./usage.js";

const HANDLERS: Partial<Record<MockOperation, Handler>> = {
  chat: handleChat,
  responses: handleResponses,
  embeddings: handleEmbeddings,
  messages: handleMessages,
  count_tokens: handleCountTokens,
  invoke: handleBedrockInvoke,
  converse: handleBedrockConverse,
};

function responseHeaders(route: Route, requestId: string, startedAt: number): Record<string, string> {
  if (route.provider === "anthropic") return { "request-id": requestId };
  if (route.provider === "bedrock") return { "x-amzn-requestid": requestId };
  const headers: Record<string, string> = {
    "x-request-id": requestId,
    "openai-processing-ms": String(Date.now() - startedAt),
  };
  if (route.provider === "azure-openai") headers["apim-request-id"] = randomUUID();
  else headers["openai-version"] = "2020-10-01";
  return headers;
}

function hasCredentials(route: Route, headers: Record<string, string>): boolean {
  if (route.provider === "anthropic") return Boolean(headers["x-api-key"] || headers["authorization"]);
  if (route.provider === "azure-openai") return Boolean(headers["api-key"] || headers["authorization"]);
  // Bedrock: SigV4 (`AWS4-HMAC-SHA256 …`) or a Bedrock API key (`Bearer …`); the mock checks neither.
  return Boolean(headers["authorization"]);
}

/**
 * Starts a local HTTP server that answers like the OpenAI, Azure OpenAI, Anthropic and Bedrock Runtime APIs, with
 * deterministic token usage, prompt caching, streaming and injectable faults. See `index.ts` for the rules.
 */
export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue();
  const openaiCache = new OpenAIPromptCache();
  const anthropicCache = new AnthropicPromptCache();
  const sockets = new Set<Socket>();
  /** The server's own URL once it listens (Anthropic's `results_url` names it). */
  let baseUrl = () => "http://127.0.0.1";
  const admin = new AdminEndpoints(options.admin);
  /** A batch line, answered by the synchronous endpoint's handler with the usage override applied. */
  const runBatchLine: BatchLineRunner = (line) => {
    const handler = HANDLERS[line.operation];
    if (!handler) return { error: { status: 400, message: `Unsupported batch endpoint ${line.path}` } };
    const route: Route = { provider: line.provider, operation: line.operation };
    const result = handler({
      route,
      body: line.body,
      openaiCache,
      anthropicCache,
      azureDeployments: undefined,
    });
    if (result.kind === "error") return { error: result.error };
    if (result.kind === "json") return { body: result.body };
    // Anthropic says a batch line was served by the "batch" tier.
    const computed =
      line.provider === "anthropic" && result.computed.serviceTier === undefined
        ? { ...result.computed, serviceTier: "batch" }
        : result.computed;
    const override = options.usage?.({
      method: "POST",
      path: line.path,
      query: {},
      headers: {},
      body: line.body,
      provider: line.provider,
      operation: line.operation,
      stream: false,
      model: result.model,
      computed: { ...computed },
      batchCustomId: line.customId,
    });
    const merged = finalUsage(line.provider, line.operation, computed, override);
    return { body: result.render(result.constrain ? result.constrain(merged) : merged) };
  };
  const batches = new BatchEndpoints(runBatchLine, options.batchOutcome);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedAt = Date.now();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const headers = headerRecord(req);
    const route = routeRequest(method, url.pathname, headers);
    const record: RecordedRequest = {
      method,
      at: startedAt,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: undefined,
      provider: route.provider,
      operation: route.operation,
      stream: false,
      status: 0,
      clientAborted: false,
    };
    requests.push(record);
    let disconnecting = false;
    res.on("close", () => {
      if (!res.writableFinished && !disconnecting) record.clientAborted = true;
    });

    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      record.clientAborted = true;
      return;
    }
    let body: unknown;
    let badJson = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        badJson = true;
      }
    }
    record.body = body;
    const json =
      body !== null && typeof body === "object" && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : {};
    // Bedrock streams by path (`…-stream`), the others by the body's `stream: true`.
    record.stream =
      route.provider === "bedrock"
        ? route.stream === true
        : route.operation !== "embeddings" && json["stream"] === true;

    const requestId =
      route.provider === "anthropic"
        ? ids.anthropicRequest()
        : route.provider === "bedrock"
          ? randomUUID()
          : ids.openaiRequest();
    let latencyMs = options.latencyMs ?? 0;
    const fail = async (error: MockError, extraHeaders: Record<string, string> = {}, override?: unknown) => {
      await delay(latencyMs, res);
      if (isGone(res)) return;
      record.status = error.status;
      const payload = override === undefined ? errorBody(route.provider, error, requestId) : override;
      sendJson(res, error.status, payload, {
        ...responseHeaders(route, requestId, startedAt),
        ...(route.provider === "bedrock" ? bedrockErrorHeaders(error.status) : {}),
        ...extraHeaders,
      });
    };

    const applyStatusFault = (fault: Extract<Fault, { status: number }>) => {
      const extra: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) extra["retry-after"] = String(fault.retryAfterSeconds);
      return fail({ status: fault.status, message: defaultFaultMessage(fault.status) }, extra, fault.body);
    };

    if (isAdminOperation(route.operation)) {
      const denied = admin.authError(route.provider, headers);
      if (denied) return fail(denied);
      const fault = faults.take({ provider: route.provider, operation: route.operation, stream: false });
      if (fault) record.fault = fault;
      if (fault && "latencyMs" in fault) latencyMs += fault.latencyMs;
      if (fault && "status" in fault) return applyStatusFault(fault);
      const answer = admin.answer(route.provider, url.pathname, url.searchParams, requests);
      if ("error" in answer) return fail(answer.error);
      await delay(latencyMs, res);
      if (isGone(res)) return;
      record.status = 200;
      sendJson(res, 200, answer.body, responseHeaders(route, requestId, startedAt));
      return;
    }

    if (route.operation === "batches") {
      if (!hasCredentials(route, headers)) {
        return fail({ status: 401, message: "No API key provided (the mock accepts any non-empty key)." });
      }
      const fault = faults.take({ provider: route.provider, operation: route.operation, stream: false });
      if (fault) record.fault = fault;
      if (fault && "latencyMs" in fault) latencyMs += fault.latencyMs;
      if (fault && "status" in fault) return applyStatusFault(fault);
      const answer = batches.answer(method, url.pathname, raw, headers, baseUrl());
      if ("error" in answer) return fail(answer.error);
      await delay(latencyMs, res);
      if (isGone(res)) return;
      record.status = 200;
      const outHeaders = responseHeaders(route, requestId, startedAt);
      if ("json" in answer) {
        sendJson(res, 200, answer.json, outHeaders);
        return;
      }
      res.writeHead(200, {
        ...outHeaders,
        "content-type": answer.contentType,
        "content-length": String(Buffer.byteLength(answer.text)),
      });
      res.end(answer.text);
      return;
    }

    const handler = HANDLERS[route.operation];
    if (!handler) {
      const message =
        route.provider === "anthropic"
          ? "Not Found"
          : route.provider === "bedrock"
            ? `Unknown operation (${method} ${url.pathname})`
            : `Invalid URL (${method} ${url.pathname})`;
      return fail({ status: 404, message });
    }
    if (!hasCredentials(route, headers)) {
      return fail({ status: 401, message: "No API key provided (the mock accepts any non-empty key)." });
    }
    if (badJson || body === undefined) {
      return fail({ status: 400, message: "We could not parse the JSON body of your request." });
    }

    const fault: Fault | undefined = faults.take({
      provider: route.provider,
      operation: route.operation,
      stream: record.stream,
    });
    if (fault) record.fault = fault;
    if (fault && "latencyMs" in fault) latencyMs += fault.latencyMs;
    if (fault && "status" in fault) return applyStatusFault(fault);

    const ctx: HandlerContext = {
      route,
      body: json,
      openaiCache,
      anthropicCache,
      azureDeployments: options.azureDeployments,
    };
    const result = handler(ctx);
    if (result.kind === "error") return fail(result.error);
    await delay(latencyMs, res);
    if (isGone(res)) return;
    if (result.kind === "json") {
      record.status = 200;
      sendJson(res, 200, result.body, responseHeaders(route, requestId, startedAt));
      return;
    }
    await respond(result, fault);

    async function respond(exchange: Exchange, applied: Fault | undefined): Promise<void> {
      const override = options.usage?.({
        method,
        path: record.path,
        query: record.query,
        headers,
        body,
        provider: route.provider,
        operation: route.operation,
        stream: record.stream,
        model: exchange.model,
        computed: { ...exchange.computed },
      });
      const merged = finalUsage(route.provider, route.operation, exchange.computed, override);
      const usage = exchange.constrain ? exchange.constrain(merged) : merged;
      record.usage = usage;
      const malformed = applied !== undefined && "malformed" in applied;
      const outHeaders = { ...responseHeaders(route, requestId, startedAt), ...exchange.headers?.(usage) };
      record.status = 200;
      const chunkDelay =
        applied && "chunkDelayMs" in applied ? applied.chunkDelayMs : (options.chunkDelayMs ?? 0);
      if (record.stream && exchange.eventStream) {
        await writeEventStream(res, outHeaders, exchange.eventStream(usage), {
          chunkDelayMs: chunkDelay,
          malformed,
          ...(applied && "disconnectAfterChunks" in applied
            ? { disconnectAfter: applied.disconnectAfterChunks }
            : {}),
          onDisconnect: () => {
            disconnecting = true;
          },
        });
        return;
      }
      if (record.stream) {
        await writeSse(res, outHeaders, exchange.events(usage), {
          chunkDelayMs: chunkDelay,
          malformed,
          ...(applied && "disconnectAfterChunks" in applied
            ? { disconnectAfter: applied.disconnectAfterChunks }
            : {}),
          onDisconnect: () => {
            disconnecting = true;
          },
        });
        return;
      }
      const rendered = exchange.render(usage);
      if (!malformed) {
        sendJson(res, 200, rendered, outHeaders);
        return;
      }
      const text = JSON.stringify(rendered);
      const cut = text.slice(0, Math.floor(text.length / 2));
      res.writeHead(200, {
        ...outHeaders,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(cut)),
      });
      res.end(cut);
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // A client that goes away must never crash the server: swallow stream errors, the close handler records it.
    req.on("error", () => {});
    res.on("error", () => {});
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !isGone(res)) {
        const message = `mock provider bug: ${error instanceof Error ? error.message : String(error)}`;
        sendJson(res, 500, { error: { message, type: "server_error", param: null, code: null } }, {});
      } else {
        res.destroy();
      }
    });
  };
  // Idle connections are kept longer than the SDKs' pools keep them (undici: 4 s), as providers do: the client is
  // always the one to close, so a loaded machine never reuses a socket the server is closing ("Connection error").
  const http1 = createServer({ keepAliveTimeout: 65_000 }, onRequest);
  http1.on("clientError", (_error, socket) => {
    socket.destroy();
  });
  // The AWS SDK talks to Bedrock over HTTP/2 (cleartext here, prior knowledge); the other SDKs use HTTP/1.1.
  // The compatibility API gives the same request/response surface the handlers use.
  const http2 = createHttp2Server(onRequest as never);
  http2.on("sessionError", () => {});
  // One port for both: a connection is HTTP/2 if it opens with the client preface ("PRI * HTTP/2.0").
  const server = createNetServer((socket: Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first.subarray(0, 3).toString("latin1") === "PRI" ? http2 : http1).emit("connection", socket);
      process.nextTick(() => socket.resume());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  baseUrl = () => url;

  let closing: Promise<void> | undefined;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    azureEndpoint: url,
    bedrockEndpoint: url,
    requests,
    enqueueFault: (fault) => faults.enqueue(fault),
    reset: () => {
      requests.length = 0;
      faults.clear();
      openaiCache.clear();
      anthropicCache.clear();
      batches.reset();
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        http1.closeAllConnections();
        http2.close();
      });
      return closing;
    },
  };
}
