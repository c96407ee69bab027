/**
 * A local HTTP mock of the OpenAI, Azure OpenAI, Anthropic and AWS Bedrock Runtime APIs, for `costtrail demo`
 * and integration tests. The real SDKs talk to it unchanged:
 *
 *   const mock = await startMockProvider();
 *   new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test" });
 *   new AzureOpenAI({ endpoint: mock.azureEndpoint, apiKey: "test", apiVersion: "2024-10-21" });
 *   new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "test" });
 *   new BedrockRuntimeClient({ endpoint: mock.bedrockEndpoint, region: "us-east-1",
 *     credentials: { accessKeyId: "test", secretAccessKey: "test" } });
 *
 * Token rules (all deterministic; tokens(s) = ceil(s.length / 4)):
 * - Chat / Responses input: 3 + Σ per message (4 + tokens(text)) + tokens(JSON of tools / json schema).
 *   Anthropic input: 3 + Σ tools tokens(JSON) + system blocks tokens(text) + per message (4 + Σ block text).
 *   Embeddings input: Σ tokens(string input) (token-id inputs count their length).
 * - Output: tokens of the generated reply (8–24 words, a function of the prompt), cut to max_tokens /
 *   max_completion_tokens / max_output_tokens (finish "length" / "max_tokens" / status "incomplete").
 *   Reasoning models (o1*, o3*, o4*, gpt-5*) add reasoning tokens by effort: minimal 0, low 64,
 *   medium (default) 256, high 1024, inside the output limit and inclusive in output tokens.
 *   Anthropic extended thinking adds the thinking text's tokens (≤ budget_tokens) as reasoning tokens.
 * - OpenAI caching (chat and responses share it): see `OpenAIPromptCache` (≥ 1024-token previously seen
 *   message prefix, excluding the last message, rounded down to a multiple of 128).
 * - Anthropic caching: see `AnthropicPromptCache` (cache_control breakpoints; first time written, then read).
 * - Tools: when a request offers function tools and tool_choice allows, the reply is a call of the chosen
 *   (or first) tool with arguments sampled from its JSON schema, unless the last message is a tool result.
 * - Bedrock (`/model/{modelId}/invoke[-with-response-stream]`, `/model/{modelId}/converse[-stream]`; model ids
 *   and inference-profile ids such as `us.anthropic.claude-…`, URL-encoded): the family comes from the id —
 *   Anthropic (Messages body, counted and cached as above), Amazon Nova and Converse (Anthropic's rule on
 *   Converse blocks; `cachePoint` marks a breakpoint, Anthropic and Nova only), Meta Llama, Amazon Titan Text
 *   and Mistral (3 + tokens(prompt)), Titan Embeddings (tokens(inputText)). Input counts on the wire exclude
 *   cache reads and writes, as Bedrock's do; InvokeModel also sends them as `x-amzn-bedrock-*-token-count`
 *   headers (Mistral bodies carry none), streams in the final chunk's `amazon-bedrock-invocationMetrics`.
 *   Streams are `application/vnd.amazon.eventstream` (`chunk` events carrying base64 model chunks, or
 *   ConverseStream's typed events); errors carry `x-amzn-errortype` (429 → ThrottlingException, …).
 * - Admin APIs (GET; `options.admin`): OpenAI `/v1/organization/costs` and `/usage/completions|embeddings`,
 *   Anthropic `/v1/organizations/cost_report` and `/usage_report/messages`, paged daily buckets computed from
 *   the calls served (plus configured unseen calls and cost-only charges), priced with costtrail's table or
 *   `admin.prices`; admin keys checked (see admin-openai.ts, admin-anthropic.ts, docs/reconcile.md).
 */

export { startMockProvider } from "./server.js";
export { countTokens } from "./tokens.js";
export type {
  Fault,
  FaultMatch,
  MockAdminOptions,
  MockExtraCharge,
  MockOperation,
  MockProvider,
  MockProviderName,
  MockProviderOptions,
  MockUnseenCall,
  MockUsage,
  MockUsageRequest,
  RecordedRequest,
} from "./types.js";
