// Anthropic's Message Batches (`messages.batches.*`, `beta.messages.batches.*`): create / retrieve / cancel
// tell costtrail about a batch (the annotations in force at creation, when it ended); each line of
// `results(id)` becomes one event, priced at the batch rate (docs/providers.md "Batch APIs").
import { batchEventId, finishBatchLine, startBatchLine } from "../../calls/index.js";
import { knownBatch, lineAnnotations, lookUp, rememberBatch } from "../toolkit/batch-registry.js";
import type { BatchRequest, BatchRoute } from "../toolkit/batch-request.js";
import { messagesObserver } from "./stream.js";

function remember(batch: any, annotations?: BatchRequest["annotations"]): void {
  if (!batch || typeof batch !== "object" || typeof batch.id !== "string") return;
  const ended = typeof batch.ended_at === "string" ? new Date(batch.ended_at) : undefined;
  rememberBatch("anthropic", batch.id, {
    annotations,
    endedAt: ended && !Number.isNaN(ended.getTime()) ? ended : undefined,
  });
}

/**
 * One line of `results`: `{custom_id, result: {type: "succeeded", message} | {type: "errored", error} |
 * {type: "canceled"} | {type: "expired"}}`. A batch's custom ids are unique within it: the event id is
 * derived from the batch id (in the path) and the custom id.
 */
function readLine(line: any, request: BatchRequest): boolean {
  if (!line || typeof line !== "object" || typeof line.custom_id !== "string") return false;
  const result = line.result;
  if (!result || typeof result !== "object" || typeof result.type !== "string") return false;
  const batchId = request.params[0]!;
  const batch = knownBatch("anthropic", batchId);
  const message = result.type === "succeeded" ? result.message : undefined;
  const model = typeof message?.model === "string" ? message.model : "unknown";
  const call = startBatchLine(
    { provider: "anthropic", operation: "messages", requestModel: model },
    lineAnnotations(request.annotations, batch, batchId, line.custom_id),
  );
  if (!call) return true;
  const id = batchEventId("anthropic-batch", batchId, line.custom_id);
  const at = batch?.endedAt ?? new Date();
  if (message?.usage) {
    messagesObserver.onResult(message, call);
    finishBatchLine(call, { id, at, status: "ok", httpStatus: 200 });
    return true;
  }
  const unsent = result.type === "canceled" || result.type === "expired";
  const errorType = unsent ? result.type : (result.error?.error?.type ?? result.type);
  finishBatchLine(call, {
    id,
    at,
    status: unsent ? "aborted" : "error",
    errorType: String(errorType),
    unsent,
  });
  return true;
}

export const ANTHROPIC_BATCH_ROUTES: readonly BatchRoute[] = [
  {
    method: "post",
    pattern: /^\/v1\/messages\/batches$/,
    onResult: (batch, request) => remember(batch, request.annotations),
  },
  { method: "get", pattern: /^\/v1\/messages\/batches\/[^/]+$/, onResult: (batch) => remember(batch) },
  {
    method: "post",
    pattern: /^\/v1\/messages\/batches\/[^/]+\/cancel$/,
    onResult: (batch) => remember(batch),
  },
  {
    method: "get",
    pattern: /^\/v1\/messages\/batches\/([^/]+)\/results$/,
    prepare: (request) => lookUp("anthropic", request.params[0]!),
    onLine: readLine,
  },
];
