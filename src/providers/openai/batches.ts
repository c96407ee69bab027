// OpenAI's Batch API: `batches.create` / `retrieve` / `cancel` tell costtrail about a batch (the annotations in
// force at creation, its metadata, its output and error files); each line of a results file read with
// `files.content(id)` becomes one event, priced at the batch rate (docs/providers.md "Batch APIs").
import { batchEventId, finishBatchLine, startBatchLine } from "../../calls/index.js";
import {
  batchOfFile,
  knownBatch,
  lineAnnotations,
  lookUp,
  rememberBatch,
  stringMetadata,
} from "../toolkit/batch-registry.js";
import type { BatchRequest, BatchRoute } from "../toolkit/batch-request.js";
import { OPENAI_REQUESTS } from "./methods.js";
import { isAzure } from "./utils.js";

/** A batch object the SDK was given: what it says about the batch. */
function remember(batch: any, annotations?: BatchRequest["annotations"]): void {
  if (!batch || typeof batch !== "object" || typeof batch.id !== "string") return;
  const ended = batch.completed_at ?? batch.failed_at ?? batch.expired_at ?? batch.cancelled_at;
  rememberBatch("openai", batch.id, {
    annotations,
    metadata: stringMetadata(batch.metadata),
    endedAt: typeof ended === "number" ? new Date(ended * 1000) : undefined,
    endpoint: typeof batch.endpoint === "string" ? batch.endpoint : undefined,
    fileIds: [batch.output_file_id, batch.error_file_id],
  });
}

/** The operation a result body answers (`object`), else the batch's endpoint. */
function operationOf(body: any, endpoint: string | undefined): string {
  if (body?.object === "chat.completion") return "chat";
  if (body?.object === "response") return "responses";
  if (body?.object === "list") return "embeddings";
  if (endpoint?.endsWith("/chat/completions")) return "chat";
  if (endpoint?.endsWith("/responses")) return "responses";
  if (endpoint?.endsWith("/embeddings")) return "embeddings";
  return "chat";
}

/**
 * One line of a results file: `{id, custom_id, response: {status_code, request_id, body}, error}`. Its id
 * (`batch_req_…`) names that request of that batch in every copy of the file, so the event id is derived
 * from it. A file whose first line is not such a line is not a batch's results: false, nothing recorded.
 */
function readLine(line: any, request: BatchRequest): boolean {
  if (!line || typeof line !== "object" || typeof line.custom_id !== "string") return false;
  if (!("response" in line) && !("error" in line)) return false;
  const fileId = request.params[0]!;
  const batchId = batchOfFile(fileId);
  const batch = knownBatch("openai", batchId);
  const response = line.response && typeof line.response === "object" ? line.response : undefined;
  const body = response?.body;
  const status = typeof response?.status_code === "number" ? response.status_code : undefined;
  const ok = status !== undefined && status >= 200 && status < 300 && !line.error && body?.usage;
  const operation = operationOf(body, batch?.endpoint);
  const model = typeof body?.model === "string" ? body.model : "unknown";
  const call = startBatchLine(
    { provider: isAzure(request.client) ? "azure-openai" : "openai", operation, requestModel: model },
    lineAnnotations(request.annotations, batch, batchId, line.custom_id),
  );
  if (!call) return true;
  const id = batchEventId(
    "openai-batch",
    typeof line.id === "string" ? line.id : `${batchId ?? fileId}\0${line.custom_id}`,
  );
  const created = body?.created ?? body?.created_at;
  const at = typeof created === "number" ? new Date(created * 1000) : (batch?.endedAt ?? new Date());
  if (ok) {
    OPENAI_REQUESTS.find((row) => row.path === ROW_PATHS[operation])?.observer.onResult(body, call);
    finishBatchLine(call, { id, at, status: "ok", httpStatus: status });
    return true;
  }
  const code = line.error?.code ?? body?.error?.code ?? body?.error?.type;
  const unsent = code === "batch_expired" || code === "batch_cancelled";
  finishBatchLine(call, {
    id,
    at,
    status: unsent ? "aborted" : "error",
    errorType: typeof code === "string" ? code : "APIError",
    httpStatus: status,
    unsent,
  });
  return true;
}

/** The billable path whose observer reads a result body of each operation (methods.ts). */
const ROW_PATHS: Record<string, string> = {
  chat: "/chat/completions",
  responses: "/responses",
  embeddings: "/embeddings",
};

export const OPENAI_BATCH_ROUTES: readonly BatchRoute[] = [
  {
    method: "post",
    pattern: /^\/batches$/,
    onResult: (batch, request) => remember(batch, request.annotations),
  },
  { method: "get", pattern: /^\/batches\/[^/]+$/, onResult: (batch) => remember(batch) },
  { method: "post", pattern: /^\/batches\/[^/]+\/cancel$/, onResult: (batch) => remember(batch) },
  {
    method: "get",
    pattern: /^\/files\/([^/]+)\/content$/,
    prepare: (request) => {
      const batchId = batchOfFile(request.params[0]!);
      return batchId === undefined ? undefined : lookUp("openai", batchId);
    },
    onLine: readLine,
  },
];
