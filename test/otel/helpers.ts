import { randomUUID } from "node:crypto";
import type { HrTime } from "@opentelemetry/api";
import type { Annotations, TokenUsage, UsageEvent } from "../../src/types.js";

/** A UsageEvent shaped like the core's (SPEC §5), for tests that must not depend on the instrumentation. */
export function makeEvent(
  overrides: Partial<Omit<UsageEvent, "usage" | "annotations">> & {
    usage?: Partial<TokenUsage>;
    annotations?: Annotations;
  } = {},
): UsageEvent {
  const { usage, annotations, ...rest } = overrides;
  return {
    id: randomUUID(),
    ts: "2026-03-14T09:26:53.589Z",
    durationMs: 1234,
    provider: "openai",
    operation: "chat",
    requestModel: "gpt-4o-mini",
    responseModel: "gpt-4o-mini-2024-07-18",
    stream: false,
    status: "ok",
    attempts: 1,
    costMicros: 4200,
    currency: "USD",
    costSource: "computed",
    limitsExceeded: [],
    ...rest,
    usage: {
      inputTokens: 120,
      outputTokens: 30,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      ...usage,
    },
    annotations: annotations ?? {},
  };
}

export const FULL_ANNOTATIONS: Annotations = {
  useCaseName: "support-reply",
  useCaseId: "0190a5f2-7c1e-7000-8000-000000000001",
  useCaseVersion: 3,
  useCaseStep: "draft",
  userId: "user-42",
  accountName: "acme",
  limitIds: ["acme-monthly", "global-daily"],
  requestTags: ["beta", "eu"],
  requestProperties: { plan: "pro", region: "eu-west-1" },
  useCaseProperties: { channel: "email" },
  priceAsResource: "gpt-4o",
  priceAsCategory: "llm",
  resourceScope: "team-a",
};

export const hrToMs = (t: HrTime): number => t[0] * 1000 + t[1] / 1e6;
