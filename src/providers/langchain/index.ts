// LangChain.js (`costtrail/langchain`): a callback handler that records one UsageEvent per LLM run for chat
// models whose provider SDK costtrail does not patch, and lends its annotations to the SDK-level event of
// the ones it does (ChatOpenAI, ChatAnthropic, ChatBedrockConverse…), so no call is counted twice.
//
// How the annotations reach an SDK-level event: LangChain awaits a handler with `awaitHandlers` inline, in the
// model call's own async flow, right before it calls `_generate` / `_streamResponseChunks`, and it invokes the
// handler synchronously from that flow's current continuation. The handler enters a costtrail scope there
// (`enterNode`, on the context's AsyncLocalStorage); the rest of that model call — the SDK call included — continues inside it,
// while the code that called the model does not (its own continuation was captured before). LangChain's own
// AsyncLocalStorage cannot carry this: it holds no run config during a plain `model.invoke()`.
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Serialized } from "@langchain/core/load/serializable";
import type { BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import { isEmptyScope, parseScopeAnnotations } from "../../annotations/schema.js";
import {
  type Call,
  failCall,
  finishCall,
  isLimitExceeded,
  pendingAdmission,
  startCall,
} from "../../calls/index.js";
import { activeNode, childNode, enterNode, type ScopeNode } from "../../context/scope-tree.js";
import { log } from "../../log.js";
import { getRuntime } from "../../runtime.js";
import type { ScopeAnnotations } from "../../types.js";
import { estimateTokensOfText, textLength } from "../toolkit/text.js";
import { sdkTracksProvider } from "./tracked.js";
import { runResponseModel, runUsage } from "./usage.js";

export interface CostTrailCallbackHandlerOptions {
  /**
   * Annotations for every LLM run this handler sees, on top of the costtrail context active when the run
   * starts; a run's own `metadata.costtrail` goes on top of these. Validated here (`AnnotationError`).
   */
  annotations?: ScopeAnnotations;
  /**
   * More `ls_provider` values whose calls costtrail's SDK instrumentation already records, e.g. an
   * OpenAI-compatible integration built on ChatOpenAI that costtrail does not know. The handler only
   * annotates those. (Known: openai, azure, anthropic, amazon_bedrock, deepseek, xai — when the SDK they use
   * is the copy costtrail patched.)
   */
  sdkProviders?: readonly string[];
}

/** Runs whose end never comes (a stream left early: LangChain sends no callback) are dropped beyond this. */
const MAX_OPEN_RUNS = 10_000;

/** ls_provider → UsageEvent.provider, where costtrail has its own name for it. */
const PROVIDER_NAMES: Record<string, string> = {
  azure: "azure-openai",
  azure_openai: "azure-openai",
  amazon_bedrock: "bedrock",
};

function providerOf(llm: Serialized | undefined, metadata: Record<string, unknown> | undefined): string {
  const ls = metadata?.["ls_provider"];
  if (typeof ls === "string" && ls !== "") return ls.toLowerCase();
  // `["langchain", "chat_models", "openai", "ChatOpenAI"]`: the integration's module.
  const id = (llm as { id?: unknown } | undefined)?.id;
  return Array.isArray(id) && typeof id[2] === "string" ? id[2] : "langchain";
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === "string" && v !== "") return v;
  return undefined;
}

function firstNumber(...values: unknown[]): number | undefined {
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) return v;
  return undefined;
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  return typeof name === "string" && name.includes("Abort");
}

/**
 * A LangChain callback handler for costtrail:
 *
 *   const handler = new CostTrailCallbackHandler({ annotations: { useCaseName: "support-bot" } });
 *   await chain.invoke(input, { callbacks: [handler], metadata: { costtrail: { userId } } });
 *
 * One event per LLM run (`handleChatModelStart` / `handleLLMStart` → `handleLLMEnd` / `handleLLMError`), from
 * the message's `usage_metadata` or `llmOutput.tokenUsage`; annotations from the costtrail context active at
 * the start, this handler's `annotations`, then the run's `metadata.costtrail`. Runs of models whose SDK
 * costtrail already instruments get no event of their own: the SDK-level event carries these annotations.
 */
export class CostTrailCallbackHandler extends BaseCallbackHandler {
  name = "costtrail";
  private readonly handlerScope: ScopeAnnotations | undefined;
  private readonly knownSdkProviders: ReadonlySet<string>;
  /** Open runs by run id; shared with copies (LangChain may `copy()` a handler between start and end). */
  private readonly runs: Map<string, Call>;

  constructor(options: CostTrailCallbackHandlerOptions = {}) {
    // raiseError: a block limit must stop the run (LimitExceededError); nothing else ever escapes this handler.
    super({
      ignoreChain: true,
      ignoreAgent: true,
      ignoreRetriever: true,
      ignoreCustomEvent: true,
      raiseError: true,
    });
    // `copy()` is `new this.constructor(this)`: a copy shares the original's settings and open runs.
    const source: unknown = options;
    if (source instanceof CostTrailCallbackHandler) {
      this.handlerScope = source.handlerScope;
      this.knownSdkProviders = source.knownSdkProviders;
      this.runs = source.runs;
    } else {
      const scope = options.annotations
        ? parseScopeAnnotations(options.annotations, "CostTrailCallbackHandler", "annotations")
        : undefined;
      this.handlerScope = scope && !isEmptyScope(scope) ? scope : undefined;
      this.knownSdkProviders = new Set((options.sdkProviders ?? []).map((p) => p.toLowerCase()));
      this.runs = new Map();
    }
    // Awaited inline, so it runs in the caller's async context (its costtrail scopes) and before the model.
    this.awaitHandlers = true;
  }

  override handleChatModelStart(
    llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> | undefined {
    const content = messages.map((group) => group.map((m) => m.content));
    const count = messages.reduce((n, group) => n + group.length, 0);
    return this.start(llm, "chat", runId, extraParams, metadata, () => textLength(content), count);
  }

  override handleLLMStart(
    llm: Serialized,
    prompts: string[],
    runId: string,
    _parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> | undefined {
    return this.start(llm, "completions", runId, extraParams, metadata, () => textLength(prompts), 0);
  }

  override handleLLMNewToken(token: string, _idx: unknown, runId: string): void {
    try {
      const record = this.runs.get(runId);
      if (!record) return;
      // `.stream()` is told apart by its tokens: its invocation params look like a plain call's.
      record.start.stream = true;
      record.sawItem(token !== "");
    } catch (error) {
      log.internalFailure("langchain-token", error);
    }
  }

  override handleLLMEnd(
    output: LLMResult,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    extraParams?: Record<string, unknown>,
  ): void {
    const record = this.take(runId);
    if (!record) return;
    try {
      // A LangChain cache hit: no provider call, zero usage; its one replayed "token" is not a stream.
      if (extraParams?.["cached"] === true) record.start.stream = false;
      const usage = runUsage(output);
      if (usage) record.reportUsage(usage);
      else
        log.warnOnce(
          `langchain-no-usage:${record.start.provider}`,
          `LangChain runs of provider "${record.start.provider}" report no token usage; they are recorded with zero tokens`,
        );
      const model = runResponseModel(output);
      if (model) record.responseModel = model;
    } catch (error) {
      log.internalFailure("langchain-end", error);
    }
    finishCall(record, "ok");
  }

  override handleLLMError(error: unknown, runId: string): void {
    const record = this.take(runId);
    if (!record) return;
    if (isAbort(error)) finishCall(record, "aborted", (error as Error).name);
    else failCall(record, error);
  }

  private start(
    llm: Serialized,
    operation: string,
    runId: string,
    extraParams: Record<string, unknown> | undefined,
    metadata: Record<string, unknown> | undefined,
    chars: () => number,
    messageCount: number,
  ): Promise<void> | undefined {
    let record: Call | undefined;
    try {
      if (!getRuntime()) return;
      const node = this.scopeFor(metadata);
      // Synchronously, before any await: this is the model call's continuation (see the top of this file).
      if (node) enterNode(node);
      const provider = providerOf(llm, metadata);
      if (this.knownSdkProviders.has(provider) || sdkTracksProvider(provider)) return;
      const params = (extraParams?.["invocation_params"] ?? {}) as Record<string, unknown>;
      record = startCall({
        provider: PROVIDER_NAMES[provider] ?? provider,
        operation,
        requestModel:
          firstString(
            metadata?.["ls_model_name"],
            params["model"],
            params["model_name"],
            params["modelName"],
            params["model_id"],
          ) ?? "unknown",
        stream: params["stream"] === true || params["streaming"] === true,
        // Annotations come from the scope entered above (costtrail context, handler, metadata.costtrail).
        headers: [],
        estimateInputTokens: () => estimateTokensOfText(chars()) + 3 * messageCount,
        maxOutputTokens: firstNumber(
          params["max_tokens"],
          params["max_completion_tokens"],
          params["maxTokens"],
          params["max_output_tokens"],
          params["maxOutputTokens"],
        ),
      });
    } catch (error) {
      log.internalFailure("langchain-start", error);
    }
    if (!record) return undefined;
    this.remember(runId, record);
    // A limit gate still answering, or a block: LangChain awaits this handler before it calls the model, so
    // the run waits, or is stopped by the LimitExceededError, as an SDK call would be.
    const pending = pendingAdmission(record);
    if (pending) return pending.catch((error: unknown) => this.refused(runId, error));
    return undefined;
  }

  /** The scope the run adds: this handler's annotations, then the run's `metadata.costtrail`. */
  private scopeFor(metadata: Record<string, unknown> | undefined): ScopeNode | undefined {
    let node: ScopeNode | undefined;
    const parent = activeNode();
    if (this.handlerScope) node = childNode(parent, this.handlerScope);
    const raw = metadata?.["costtrail"];
    if (raw !== undefined) {
      try {
        const scope = parseScopeAnnotations(raw, "LangChain metadata", "costtrail");
        if (!isEmptyScope(scope)) node = childNode(node ?? parent, scope);
      } catch (error) {
        // Invalid run metadata must not break the run: it is ignored, and said once.
        log.warnOnce(`langchain-metadata:${(error as Error).message}`, (error as Error).message);
      }
    }
    return node;
  }

  private refused(runId: string, error: unknown): never {
    // The blocked run is recorded already; LangChain sends no end for a run whose start failed.
    if (isLimitExceeded(error)) this.runs.delete(runId);
    throw error;
  }

  private remember(runId: string, record: Call): void {
    this.runs.set(runId, record);
    if (this.runs.size > MAX_OPEN_RUNS) {
      const [oldest, stale] = this.runs.entries().next().value as [string, Call];
      this.runs.delete(oldest);
      finishCall(stale, "aborted", "Abandoned");
    }
  }

  private take(runId: string): Call | undefined {
    const record = this.runs.get(runId);
    this.runs.delete(runId);
    return record;
  }
}
