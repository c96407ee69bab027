// The batch APIs: OpenAI's Files + Batch API (`/v1/files`, `/v1/batches`) and Anthropic's Message Batches
// (`/v1/messages/batches`), in the providers' real shapes. A batch is processed the moment it is created (each
// line answered by the same handler as the synchronous endpoint, with the usage override applied), reported as
// `validating` / `in_progress` by the create call and as finished from then on.

import { ANTHROPIC_BATCH, OPENAI_BATCH, OPENAI_FILE } from "./batch-routes.js";
import type { MockError } from "./errors.js";
import { errorBody } from "./errors.js";
import { isRecord } from "./handler.js";
import { ids } from "./ids.js";
import { parseMultipart } from "./multipart.js";
import type { MockOperation, MockProviderOptions } from "./types.js";

/** Answers one line of a batch as the synchronous endpoint would: the response body, or the error. */
export type BatchLineRunner = (line: {
  provider: "openai" | "anthropic";
  operation: MockOperation;
  path: string;
  body: Record<string, unknown>;
  customId: string;
}) => { body: unknown } | { error: MockError };

export type BatchAnswer = { json: unknown } | { text: string; contentType: string } | { error: MockError };

/** OpenAI's batch endpoints and the operation their lines are answered by. */
const OPENAI_ENDPOINTS: Record<string, MockOperation> = {
  "/v1/chat/completions": "chat",
  "/v1/responses": "responses",
  "/v1/embeddings": "embeddings",
};

interface StoredFile {
  object: "file";
  id: string;
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: "processed";
  expires_at: null;
  status_details: null;
  content: string;
}

const seconds = () => Math.floor(Date.now() / 1000);
const notFound = (message: string): BatchAnswer => ({ error: { status: 404, message } });
const invalid = (message: string, param: string | null = null): BatchAnswer => ({
  error: { status: 400, message, param },
});

export class BatchEndpoints {
  readonly #files = new Map<string, StoredFile>();
  readonly #openai = new Map<string, Record<string, unknown>>();
  readonly #anthropic = new Map<string, { batch: Record<string, unknown>; results: string }>();

  constructor(
    private readonly run: BatchLineRunner,
    private readonly outcome: MockProviderOptions["batchOutcome"],
  ) {}

  reset(): void {
    this.#files.clear();
    this.#openai.clear();
    this.#anthropic.clear();
  }

  /** `baseUrl`: the mock's own URL, for Anthropic's `results_url`. */
  answer(
    method: string,
    path: string,
    raw: string,
    headers: Record<string, string>,
    baseUrl: string,
  ): BatchAnswer {
    const anthropic = ANTHROPIC_BATCH.exec(path);
    if (anthropic) return this.#anthropicAnswer(method, anthropic[1], anthropic[2], raw, baseUrl);
    const batch = OPENAI_BATCH.exec(path);
    if (batch) return this.#openaiBatch(method, batch[1], batch[2], raw);
    const file = OPENAI_FILE.exec(path);
    if (file) return this.#openaiFile(method, file[1], file[2], raw, headers);
    return notFound(`Invalid URL (${method} ${path})`);
  }

  #openaiFile(
    method: string,
    id: string | undefined,
    sub: string | undefined,
    raw: string,
    headers: Record<string, string>,
  ): BatchAnswer {
    if (id === undefined) {
      if (method !== "POST") return notFound(`Invalid URL (${method} /v1/files)`);
      const fields = parseMultipart(raw, headers["content-type"]);
      const file = fields?.find((f) => f.name === "file" && f.filename !== undefined);
      const purpose = fields?.find((f) => f.name === "purpose")?.value;
      if (!file) return invalid("'file' is a required property", "file");
      if (!purpose) return invalid("'purpose' is a required property", "purpose");
      return { json: this.#storeFile(file.filename!, purpose, file.value) };
    }
    const stored = this.#files.get(decodeURIComponent(id));
    if (method !== "GET") return notFound(`Invalid URL (${method} /v1/files/${id})`);
    if (!stored) return notFound(`No such File object: ${id}`);
    if (sub === "content") return { text: stored.content, contentType: "application/octet-stream" };
    const { content: _content, ...file } = stored;
    return { json: file };
  }

  #storeFile(filename: string, purpose: string, content: string): Omit<StoredFile, "content"> {
    const file: StoredFile = {
      object: "file",
      id: ids.openaiFile(),
      bytes: Buffer.byteLength(content),
      created_at: seconds(),
      filename,
      purpose,
      status: "processed",
      expires_at: null,
      status_details: null,
      content,
    };
    this.#files.set(file.id, file);
    const { content: _content, ...shown } = file;
    return shown;
  }

  #openaiBatch(method: string, id: string | undefined, sub: string | undefined, raw: string): BatchAnswer {
    if (id === undefined && method === "GET") {
      const data = [...this.#openai.values()].reverse();
      return {
        json: {
          object: "list",
          data,
          first_id: data[0]?.["id"] ?? null,
          last_id: data.at(-1)?.["id"] ?? null,
          has_more: false,
        },
      };
    }
    if (id === undefined && method === "POST") return this.#createOpenAIBatch(raw);
    const batch = id === undefined ? undefined : this.#openai.get(decodeURIComponent(id));
    if ((method === "GET" && sub === undefined) || (method === "POST" && sub === "cancel")) {
      // Processed on creation: a cancel finds it finished already, as the API answers for a finished batch.
      return batch ? { json: batch } : notFound(`No batch found with id '${id}'.`);
    }
    return notFound(`Invalid URL (${method} /v1/batches/${id})`);
  }

  #createOpenAIBatch(raw: string): BatchAnswer {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return invalid("We could not parse the JSON body of your request.");
    }
    if (!isRecord(body)) return invalid("We could not parse the JSON body of your request.");
    const endpoint = body["endpoint"];
    const inputId = body["input_file_id"];
    if (typeof endpoint !== "string" || !Object.hasOwn(OPENAI_ENDPOINTS, endpoint))
      return invalid(`Invalid 'endpoint': '${String(endpoint)}'.`, "endpoint");
    if (body["completion_window"] !== "24h")
      return invalid("Invalid 'completion_window': only '24h' is supported.", "completion_window");
    const input = typeof inputId === "string" ? this.#files.get(inputId) : undefined;
    if (!input) return invalid(`Invalid 'input_file_id': '${String(inputId)}'.`, "input_file_id");
    const metadata = isRecord(body["metadata"]) ? body["metadata"] : null;

    const created = seconds();
    const batch: Record<string, unknown> = {
      id: ids.openaiBatch(),
      object: "batch",
      endpoint,
      errors: null,
      input_file_id: input.id,
      completion_window: "24h",
      status: "validating",
      output_file_id: null,
      error_file_id: null,
      created_at: created,
      in_progress_at: null,
      expires_at: created + 86_400,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      metadata,
    };
    const answered = this.#runOpenAILines(input.content, endpoint);
    const shown = { ...batch };
    if ("errors" in answered) {
      Object.assign(batch, { status: "failed", failed_at: created, errors: answered.errors });
    } else {
      const { output, failed, total } = answered;
      Object.assign(batch, {
        status: "completed",
        in_progress_at: created,
        finalizing_at: created,
        completed_at: created,
        output_file_id:
          output.length > 0 ? this.#storeFile("batch_output.jsonl", "batch_output", jsonl(output)).id : null,
        error_file_id:
          failed.length > 0 ? this.#storeFile("batch_errors.jsonl", "batch_output", jsonl(failed)).id : null,
        request_counts: { total, completed: output.length, failed: failed.length },
      });
    }
    this.#openai.set(batch["id"] as string, batch);
    return { json: shown };
  }

  /** Every input line answered: successes for the output file, failures for the error file. */
  #runOpenAILines(
    content: string,
    endpoint: string,
  ): { output: unknown[]; failed: unknown[]; total: number } | { errors: unknown } {
    const output: unknown[] = [];
    const failed: unknown[] = [];
    const lines = content.split("\n").filter((l) => l.trim() !== "");
    const seen = new Set<string>();
    const problem = (line: number, code: string, message: string) => ({
      errors: { object: "list", data: [{ code, message, param: null, line }] },
    });
    for (const [index, text] of lines.entries()) {
      let line: unknown;
      try {
        line = JSON.parse(text);
      } catch {
        return problem(index + 1, "invalid_json_line", "This line is not parseable as valid JSON.");
      }
      if (!isRecord(line) || typeof line["custom_id"] !== "string" || !isRecord(line["body"]))
        return problem(index + 1, "invalid_request", "Each line needs a custom_id, method, url and body.");
      if (line["url"] !== endpoint)
        return problem(
          index + 1,
          "mismatched_endpoint",
          `The url must match the batch's endpoint ${endpoint}.`,
        );
      const customId = line["custom_id"];
      if (seen.has(customId))
        return problem(index + 1, "duplicate_custom_id", `The custom_id '${customId}' is not unique.`);
      seen.add(customId);
      const requestId = ids.openaiRequest();
      const id = ids.openaiBatchRequest();
      const outcome = this.outcome?.({ provider: "openai", customId, body: line["body"] });
      if (outcome === "expired" || outcome === "canceled") {
        const expired = outcome === "expired";
        failed.push({
          id,
          custom_id: customId,
          response: null,
          error: {
            code: expired ? "batch_expired" : "batch_cancelled",
            message: expired
              ? "This request could not be executed before the completion window expired."
              : "This request was not executed because the batch was cancelled.",
          },
        });
        continue;
      }
      const answer = this.run({
        provider: "openai",
        operation: OPENAI_ENDPOINTS[endpoint]!,
        path: endpoint,
        body: { ...line["body"], stream: false },
        customId,
      });
      if ("error" in answer) {
        failed.push({
          id,
          custom_id: customId,
          response: {
            status_code: answer.error.status,
            request_id: requestId,
            body: errorBody("openai", answer.error, requestId),
          },
          error: null,
        });
      } else {
        output.push({
          id,
          custom_id: customId,
          response: { status_code: 200, request_id: requestId, body: answer.body },
          error: null,
        });
      }
    }
    return { output, failed, total: lines.length };
  }

  #anthropicAnswer(
    method: string,
    id: string | undefined,
    sub: string | undefined,
    raw: string,
    baseUrl: string,
  ): BatchAnswer {
    if (id === undefined && method === "POST") return this.#createAnthropicBatch(raw, baseUrl);
    if (id === undefined && method === "GET") {
      const data = [...this.#anthropic.values()].map((b) => b.batch).reverse();
      return {
        json: {
          data,
          has_more: false,
          first_id: data[0]?.["id"] ?? null,
          last_id: data.at(-1)?.["id"] ?? null,
        },
      };
    }
    const stored = id === undefined ? undefined : this.#anthropic.get(decodeURIComponent(id));
    const missing = () => notFound(`No message batch found with id '${id}'.`);
    if (method === "GET" && sub === undefined) return stored ? { json: stored.batch } : missing();
    if (method === "GET" && sub === "results") {
      return stored ? { text: stored.results, contentType: "application/binary" } : missing();
    }
    if (method === "POST" && sub === "cancel") return stored ? { json: stored.batch } : missing();
    return notFound("Not Found");
  }

  #createAnthropicBatch(raw: string, baseUrl: string): BatchAnswer {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return invalid("There was an issue with your request: the body is not valid JSON.");
    }
    const requests = isRecord(body) ? body["requests"] : undefined;
    if (!Array.isArray(requests) || requests.length === 0)
      return invalid("requests: Field required (at least one request)", "requests");
    const seen = new Set<string>();
    for (const [i, r] of requests.entries()) {
      if (!isRecord(r) || typeof r["custom_id"] !== "string" || !isRecord(r["params"]))
        return invalid(`requests.${i}: custom_id and params are required`);
      if (seen.has(r["custom_id"]))
        return invalid(`requests.${i}.custom_id: '${r["custom_id"]}' is not unique within the batch`);
      seen.add(r["custom_id"]);
    }
    const id = ids.anthropicBatch();
    const created = new Date().toISOString();
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    const lines: unknown[] = [];
    for (const r of requests as Array<{ custom_id: string; params: Record<string, unknown> }>) {
      const customId = r.custom_id;
      const outcome = this.outcome?.({ provider: "anthropic", customId, body: r.params });
      if (outcome === "expired" || outcome === "canceled") {
        counts[outcome]++;
        lines.push({ custom_id: customId, result: { type: outcome } });
        continue;
      }
      const answer = this.run({
        provider: "anthropic",
        operation: "messages",
        path: "/v1/messages",
        body: { ...r.params, stream: false },
        customId,
      });
      if ("error" in answer) {
        counts.errored++;
        const { request_id: _id, ...error } = errorBody("anthropic", answer.error, "") as Record<
          string,
          unknown
        >;
        lines.push({ custom_id: customId, result: { type: "errored", error } });
      } else {
        counts.succeeded++;
        lines.push({ custom_id: customId, result: { type: "succeeded", message: answer.body } });
      }
    }
    const base = {
      id,
      type: "message_batch",
      archived_at: null,
      cancel_initiated_at: null,
      created_at: created,
      expires_at: new Date(Date.parse(created) + 86_400_000).toISOString(),
    };
    const finished = {
      ...base,
      ended_at: created,
      processing_status: "ended",
      request_counts: counts,
      results_url: `${baseUrl}/v1/messages/batches/${id}/results`,
    };
    this.#anthropic.set(id, { batch: finished, results: jsonl(lines) });
    return {
      json: {
        ...base,
        ended_at: null,
        processing_status: "in_progress",
        request_counts: {
          processing: requests.length,
          succeeded: 0,
          errored: 0,
          canceled: 0,
          expired: 0,
        },
        results_url: null,
      },
    };
  }
}

function jsonl(lines: readonly unknown[]): string {
  return lines.map((l) => `${JSON.stringify(l)}\n`).join("");
}
