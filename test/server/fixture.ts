import type { UsageEvent } from "../../src/types.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { fixtureLedger } from "../ledger/helpers.js";

export const NOW = Date.parse("2025-06-10T12:00:00.000Z");
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString();

/** An instance id that needs URL-encoding: a slash, a space, a quote and non-ASCII. */
export const ODD_INSTANCE = 'doc/42 "draft" – é';

/** A small ledger over 10 days: three use cases, instances with steps, users, accounts, tags, one unpriced call. */
export const EVENTS: UsageEvent[] = [
  makeEvent("a1", {
    ts: at(1),
    requestModel: "gpt-4o",
    usage: { inputTokens: 1_000, outputTokens: 100 },
    costMicros: 5_000_000,
    annotations: {
      useCaseName: "support",
      useCaseId: "s-1",
      useCaseStep: "retrieve",
      userId: "alice",
      accountName: "acme",
      requestTags: ["beta", "eu"],
      limitIds: ["daily"],
    },
  }),
  makeEvent("a2", {
    ts: at(0.5),
    requestModel: "gpt-4o-mini",
    durationMs: 1_500,
    status: "error",
    usage: { inputTokens: 500, outputTokens: 0 },
    costMicros: 1_000_000,
    annotations: {
      useCaseName: "support",
      useCaseId: "s-1",
      useCaseStep: "draft",
      userId: "alice",
      accountName: "acme",
      requestTags: ["beta"],
    },
  }),
  makeEvent("a3", {
    ts: at(0.25),
    provider: "anthropic",
    operation: "messages",
    requestModel: "claude-sonnet-4-5",
    responseModel: "claude-sonnet-4-5-20250929",
    usage: { inputTokens: 2_000, outputTokens: 300 },
    costMicros: 3_000_000,
    annotations: {
      useCaseName: "support",
      useCaseId: "s-1",
      useCaseStep: "draft",
      userId: "alice",
      accountName: "acme",
    },
  }),
  makeEvent("b1", {
    ts: at(30),
    usage: { inputTokens: 100, outputTokens: 10 },
    costMicros: 250_000,
    annotations: {
      useCaseName: "search",
      useCaseId: ODD_INSTANCE,
      userId: 'bob "the, builder"',
      accountName: "globex",
    },
  }),
  makeEvent("b2", {
    ts: at(29),
    requestModel: "my-finetune",
    usage: { inputTokens: 50, outputTokens: 5 },
    costMicros: null,
    costSource: "unpriced",
    annotations: {
      useCaseName: "search",
      useCaseId: ODD_INSTANCE,
      userId: 'bob "the, builder"',
      accountName: "globex",
    },
  }),
  makeEvent("c1", {
    ts: at(24 * 9),
    usage: { inputTokens: 10, outputTokens: 1 },
    costMicros: 2_000_000,
    annotations: { useCaseName: "summarize", useCaseId: "m-1", userId: "carol", requestTags: ["eu"] },
  }),
  makeEvent("d1", {
    ts: at(24 * 3),
    status: "blocked",
    usage: { inputTokens: 0, outputTokens: 0 },
    costMicros: 0,
    annotations: { userId: "carol", limitIds: ["daily"] },
  }),
];

/** The EVENTS ledger for the file's tests (see `fixtureLedger` in test/ledger/helpers.ts). */
export const serverLedger = () => fixtureLedger(EVENTS, "costtrail-server-");
