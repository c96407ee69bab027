/** Public types of the mock provider server. */

import type { PriceOverride } from "../types.js";

export type MockProviderName = "openai" | "azure-openai" | "anthropic" | "bedrock";

/**
 * `count_tokens` is Anthropic's `POST /v1/messages/count_tokens`; `invoke` and `converse` are Bedrock
 * Runtime's `/model/{modelId}/invoke[-with-response-stream]` and `/model/{modelId}/converse[-stream]`;
 * `admin_costs` / `admin_usage` are the admin (cost and usage report) endpoints, see admin-openai.ts and
 * admin-anthropic.ts; `batches` the batch and file endpoints (OpenAI `/v1/files`, `/v1/batches`, Anthropic
 * `/v1/messages/batches`, see batches.ts); `unknown` is any path the mock does not serve (answered 404 in the provider's error shape).
 */
export type MockOperation =
  | "chat"
  | "responses"
  | "embeddings"
  | "messages"
  | "count_tokens"
  | "invoke"
  | "converse"
  | "admin_costs"
  | "admin_usage"
  | "batches"
  | "unknown";

/** Token counts, normalised the way costtrail's `TokenUsage` is. */
export interface MockUsage {
  /** Inclusive of cache reads and writes (Anthropic's and Bedrock's wire input counts are not; OpenAI's is). */
  inputTokens: number;
  /** Inclusive of reasoning tokens. */
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  // Billed extras, each on the provider's real wire field (docs/testing.md "Billed usage shapes"); absent = none.
  /** Of cacheWriteTokens: written with a 1-hour TTL (Anthropic `cache_creation.ephemeral_1h_input_tokens`). */
  cacheWrite1hTokens?: number;
  /** Of inputTokens: audio (OpenAI chat `prompt_tokens_details.audio_tokens`). */
  audioInputTokens?: number;
  /** Of outputTokens: audio (OpenAI chat `completion_tokens_details.audio_tokens`). */
  audioOutputTokens?: number;
  /**
   * Server tool calls: Anthropic `usage.server_tool_use` (web search / fetch) and `server_tool_use` content
   * blocks (code execution); OpenAI Responses `web_search_call` / `file_search_call` / `code_interpreter_call`
   * output items.
   */
  serverToolCalls?: MockServerToolCalls;
  /**
   * The tier the response says served the call (`service_tier`). Default: OpenAI echoes a requested "flex" or
   * "priority" (or "scale") and says "default" otherwise; Anthropic says "standard".
   */
  serviceTier?: string;
}

export interface MockServerToolCalls {
  webSearch?: number;
  webFetch?: number;
  codeExecution?: number;
  fileSearch?: number;
}

export interface RecordedRequest {
  method: string;
  /** Arrival time, epoch ms: the admin endpoints bucket served calls by it. */
  at: number;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Lowercased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON body; the raw text when it was not JSON; undefined when empty. */
  body: unknown;
  provider: MockProviderName;
  operation: MockOperation;
  stream: boolean;
  /** Status the mock sent, 0 while (or if) no response head was written. */
  status: number;
  /**
   * The exact usage the mock put in its response, normalised (or would have, for a disconnect or malformed
   * fault). Undefined for errors and for operations without usage (count_tokens).
   */
  usage?: MockUsage;
  /** The client closed the connection before the mock finished the response (not set by disconnect faults). */
  clientAborted: boolean;
  /** Set when a fault was applied to this request. */
  fault?: Fault;
}

/** Restricts a fault to some requests; absent fields match everything. */
export interface FaultMatch {
  provider?: MockProviderName;
  operation?: MockOperation;
}

export type Fault = FaultMatch &
  (
    | {
        /** An error response in the provider's error shape. */
        status: number;
        /** Sent as `retry-after`; fractions are allowed (both SDKs parse them), which keeps retry tests fast. */
        retryAfterSeconds?: number;
        /** Replaces the default error body. */
        body?: unknown;
        /** How many matching requests get the fault; default 1. */
        times?: number;
      }
    | {
        /** 200 with `content-type: application/json` and a truncated body (for streams: a truncated first event). */
        malformed: true;
        times?: number;
      }
    | {
        /** Streaming requests only: write this many SSE events (Bedrock: event-stream messages), then destroy the socket. */
        disconnectAfterChunks: number;
        times?: number;
      }
    | {
        /** Extra delay before the response head; the response is otherwise normal. */
        latencyMs: number;
        times?: number;
      }
    | {
        /** Streaming requests only: pause this long between events (a generation still under way). */
        chunkDelayMs: number;
        times?: number;
      }
  );

/** What `MockProviderOptions.usage` sees: the request, and the counts the mock computed for it. */
export interface MockUsageRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  provider: MockProviderName;
  operation: MockOperation;
  stream: boolean;
  /** The request's `model` (Azure deployment paths: the deployment when the body has none; Bedrock: the path's model id). */
  model: string;
  computed: MockUsage;
  /** A line of a batch (OpenAI Batch API, Anthropic Message Batches): its `custom_id`. */
  batchCustomId?: string;
}

/**
 * How a batch line ends when it is not answered: `expired` (the completion window ran out) or `canceled` (the
 * batch was cancelled first). OpenAI puts such lines in the error file (`batch_expired` / `batch_cancelled`),
 * Anthropic reports `result.type` "expired" / "canceled".
 */
export type MockBatchOutcome = "expired" | "canceled";

export interface MockProviderOptions {
  /** Port to listen on; 0 (default) picks a free one. Always binds 127.0.0.1. */
  port?: number;
  /** Delay before every response head. */
  latencyMs?: number;
  /** Delay between SSE events. */
  chunkDelayMs?: number;
  /** Override any computed count; merged over the computed usage. */
  usage?: (req: MockUsageRequest) => Partial<MockUsage>;
  /** Azure deployment (or model) name → the model Azure reports, e.g. `{ "prod-chat": "gpt-4o-2024-08-06" }`. */
  azureDeployments?: Record<string, string>;
  /** Per batch line: leave it unanswered (expired or canceled); answered like the synchronous endpoint when undefined. */
  batchOutcome?: (line: {
    provider: "openai" | "anthropic";
    customId: string;
    body: Record<string, unknown>;
  }) => MockBatchOutcome | undefined;
  /** The admin cost and usage endpoints (OpenAI organization costs/usage, Anthropic usage/cost reports). */
  admin?: MockAdminOptions;
}

/** Spend the provider bills that the mock did not serve: calls made "without costtrail". */
export interface MockUnseenCall {
  provider: "openai" | "anthropic";
  /** Model as the provider reports it (e.g. "gpt-4o-mini-2024-07-18"). */
  model: string;
  usage: Partial<MockUsage>;
  /** How many calls these tokens stand for; default 1. */
  requests?: number;
  /** When, epoch ms or ISO; default the time the mock started. */
  at?: number | string;
  /** OpenAI project id / Anthropic workspace id; default the provider's default (see MockAdminOptions). */
  project?: string;
}

/** A charge that appears only in the cost report (e.g. Anthropic code execution, OpenAI web search). */
export interface MockExtraCharge {
  provider: "openai" | "anthropic";
  /** Decimal USD, e.g. "0.05". */
  usd: string;
  /** OpenAI `line_item` / Anthropic `description`. */
  description: string;
  /** Anthropic `cost_type`; default "code_execution". */
  costType?: string;
  /** When, epoch ms or ISO; default the time the mock started. */
  at?: number | string;
  project?: string;
}

export interface MockAdminOptions {
  /** The admin key the OpenAI admin endpoints accept (`Authorization: Bearer …`). Default "sk-admin-mock". */
  openaiAdminKey?: string;
  /** The admin key the Anthropic admin endpoints accept (`x-api-key`). Default "sk-ant-admin-mock". */
  anthropicAdminKey?: string;
  /** Buckets per page, whatever `limit` the client asks for (to exercise paging). Default: the request's `limit`, else 7. */
  pageSize?: number;
  /**
   * The price table the provider bills with, USD per million tokens; models not listed are billed with
   * costtrail's bundled prices. Differing from the ledger's prices builds a price-drift case.
   */
  prices?: PriceOverride[];
  unseen?: MockUnseenCall[];
  extraCharges?: MockExtraCharge[];
}

export interface MockProvider {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `url + "/v1"`, for `new OpenAI({ baseURL })`. */
  openaiBaseURL: string;
  /** `url`, for `new Anthropic({ baseURL })`. */
  anthropicBaseURL: string;
  /** `url`, for `new AzureOpenAI({ endpoint })`. */
  azureEndpoint: string;
  /** `url`, for `new BedrockRuntimeClient({ endpoint, region, credentials })` (any credentials). */
  bedrockEndpoint: string;
  /** Every request received, in arrival order. Entries are filled in as the response proceeds. */
  requests: RecordedRequest[];
  /** The next matching request(s) get this fault; faults are consumed first in, first out. */
  enqueueFault(fault: Fault): void;
  /** Clears requests, pending faults and prompt caches. */
  reset(): void;
  /** Stops the server and destroys open sockets. */
  close(): Promise<void>;
}
