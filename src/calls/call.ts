import { newIdAt } from "../context/ids.js";
import type { LimitHold } from "../limits/gate.js";
import { log } from "../log.js";
import type { Runtime } from "../runtime.js";
import type { Annotations, TokenUsage } from "../types.js";
import { checkUsage } from "./usage-check.js";

/** What an adapter says about a call before it is made (translated from the SDK's request). */
export interface CallStart {
  provider: string;
  operation: string;
  requestModel: string;
  stream: boolean;
  /** The request options' headers (and the client's default headers), where `createHeaders` values live. */
  headers: unknown[];
  /** Rough input size from the request, for aborted streams and limit reservations. */
  estimateInputTokens: () => number;
  /** Upper bound of output tokens asked for (`max_tokens` …), if any. */
  maxOutputTokens?: number | undefined;
  /**
   * The SDK's base error class: a blocked call rejects with a LimitExceededError that is also an instance of
   * it, which the SDK's own helpers (stream helpers, tool runners) pass through instead of wrapping.
   */
  sdkError?: (new (message: string) => Error) | undefined;
}

export function zeroUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

/**
 * One logical provider call, from the SDK method to its single event: the state the lifecycle steps share
 * (`start` makes it, adapters and `observe` fill it in, `finish` turns it into the event, once).
 */
export class Call {
  readonly startedAt = Date.now();
  readonly id = newIdAt(this.startedAt);
  readonly t0 = performance.now();
  attempts = 0;
  httpStatus: number | undefined;
  responseModel: string | undefined;
  usage: TokenUsage = zeroUsage();
  /**
   * Attempts sent that never got an answer (timed out or aborted in flight): the provider may have billed them
   * without reporting usage (docs/pricing.md "Estimated costs").
   */
  unansweredAttempts = 0;
  /** True once the provider reported usage; otherwise aborted streams are estimated. */
  usageReported = false;
  /** Content-bearing stream items seen: ≈ output tokens when a stream ends before its usage arrives. */
  streamedItems = 0;
  /** Characters of output text streamed (content, arguments, thinking): the other lower bound of the output. */
  streamedChars = 0;
  /**
   * The provider's reply is whole (OpenAI's `finish_reason` on every choice, Anthropic's `stop_reason`…): what
   * ends the stream afterwards — a `break`, an abort, an SDK helper that throws on the last chunk — ends a call
   * the provider completed and billed, so it is `ok` (docs/providers.md "Ending early").
   */
  replyComplete = false;
  /** Registered to end when its stream is garbage-collected (finish.ts `finishWhenCollected`). */
  watched = false;
  /** The request carried `x-costtrail-*` headers, to be stripped before each attempt is sent. */
  hasAnnotationHeaders = false;
  /** The spending-limit reservation this call holds, settled or released when it finishes. */
  hold: LimitHold | undefined;
  /**
   * Set while the call may not be sent yet: the limit gate is still answering (a promise), or it refused the
   * call (a rejected promise with the error the SDK must reject with). See `calls/admission.ts`.
   */
  admission: Promise<void> | undefined;
  limitsExceeded: string[] = [];
  ttftMs: number | undefined;
  /** Something happened since the reaper last looked (see `calls/reaper.ts`). */
  touched = false;
  /** Reaper sweeps in a row that found the call idle. */
  idleSweeps = 0;
  done = false;

  constructor(
    readonly runtime: Runtime,
    readonly start: CallStart,
    readonly annotations: Annotations,
    readonly contexts: unknown[] | undefined,
  ) {}

  /** Output text of a stream item, counted for the estimate of a stream that ends before its usage. */
  sawOutputText(text: unknown): void {
    if (typeof text === "string") this.streamedChars += text.length;
  }

  /** `sawOutputText` for a text of this length (read off the event's JSON text, not parsed). */
  sawOutputLength(length: number): void {
    this.streamedChars += length;
  }

  /** A stream item arrived (content-bearing: ≈ one output token). */
  sawItem(contentBearing: boolean): void {
    this.sawItems(contentBearing ? 1 : 0);
  }

  /** `count` content-bearing items arrived at once (read together from one chunk); 0: an item without content. */
  sawItems(count: number): void {
    this.ttftMs ??= performance.now() - this.t0;
    this.touched = true;
    this.streamedItems += count;
  }

  /** Counts the provider sent that could not be trusted (left out of `usage`; see usage-check.ts). */
  usageIssues: string[] | undefined;

  /** The provider's usage, as far as it can be trusted: an untrusted count is left out, flagged, said once. */
  reportUsage(usage: Partial<TokenUsage>): void {
    const checked = checkUsage(usage);
    if (checked) {
      usage = checked.trusted;
      this.usageIssues = [...(this.usageIssues ?? []), ...checked.issues];
      log.warnOnce(
        `usage-untrusted:${this.start.provider}`,
        `${this.start.provider} reported usage costtrail cannot trust (${checked.issues.join("; ")}); the ` +
          "event keeps the counts it can trust and lists the others in usageIssues (docs/providers.md)",
      );
    }
    Object.assign(this.usage, usage);
    this.usageReported = true;
    this.touched = true;
  }
}
