/**
 * A synthetic ledger for the read-side benchmarks (bench/dashboard-api.ts, bench/goals.ts): events spread over
 * 30 days, 10,000 users, 500 accounts, 40 use cases, ~8 calls per use-case instance, 6 models, 20 tags, two
 * limits; deterministic (a seeded PRNG), so runs are comparable.
 */
import { toPendingEvent } from "../src/ledger/event-row.js";
import { openDatabase } from "../src/ledger/index.js";
import { createEventWriter } from "../src/ledger/writer.js";
import { parseLimits, upsertLimits } from "../src/limits/index.js";
import type { UsageEvent } from "../src/types.js";

const DAY = 86_400_000;
const SPAN = 30 * DAY;
const BATCH = 50_000;

// Deterministic PRNG (mulberry32) so runs are comparable.
let seed = 7;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const hex = (n: number, width: number) => Math.floor(n).toString(16).padStart(width, "0");

const USE_CASES = Array.from({ length: 40 }, (_, i) => `use-case-${i}`);
const STEPS = ["plan", "retrieve", "draft", "review", "summarize"];
const MODELS: [string, string][] = [
  ["openai", "gpt-4o"],
  ["openai", "gpt-4o-mini"],
  ["openai", "gpt-4.1"],
  ["anthropic", "claude-sonnet-4-5"],
  ["anthropic", "claude-haiku-4-5"],
  ["azure-openai", "my-deployment"],
];
const TAGS = Array.from({ length: 20 }, (_, i) => `tag-${i}`);

// ~8 calls per use-case instance, each instance one user and account: 10k users, 500 accounts.
let seq = 0;
let instance = "";
let useCase = "";
let user: string | undefined;
let account = "";
/** The next synthetic event, at `tsMs`. */
export function makeEvent(tsMs: number): UsageEvent {
  if (seq++ % 8 === 0) {
    instance = `${hex(tsMs, 12)}-7${hex(rand() * 0xfff, 3)}-${hex(rand() * 0xffffffff, 8)}`;
    useCase = pick(USE_CASES);
    user = rand() < 0.05 ? undefined : `user-${Math.floor(rand() * 10_000)}`;
    account = `account-${Math.floor(rand() * 500)}`;
  }
  const [provider, model] = pick(MODELS);
  const input = Math.floor(rand() * 4_000);
  const output = Math.floor(rand() * 800);
  const unpriced = model === "my-deployment" && rand() < 0.5;
  const tags = rand() < 0.3 ? [] : [pick(TAGS)];
  return {
    id: `${hex(tsMs, 12)}-${hex(seq, 8)}-${hex(rand() * 0xffffffff, 8)}`,
    ts: new Date(tsMs).toISOString(),
    durationMs: 200 + rand() * 3_000,
    provider,
    operation: provider === "anthropic" ? "messages" : "chat",
    requestModel: model,
    responseModel: model,
    stream: rand() < 0.5,
    status: rand() < 0.02 ? "error" : "ok",
    attempts: 1,
    usage: {
      inputTokens: input,
      outputTokens: output,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    costMicros: unpriced ? null : Math.round(input * 2.5 + output * 10),
    currency: "USD",
    costSource: unpriced ? "unpriced" : "computed",
    annotations: {
      useCaseName: useCase,
      useCaseId: instance,
      useCaseVersion: 1,
      useCaseStep: pick(STEPS),
      ...(user ? { userId: user } : {}),
      accountName: account,
      ...(rand() < 0.3 ? { limitIds: ["daily-total"] } : {}),
      ...(tags.length ? { requestTags: tags } : {}),
    },
    limitsExceeded: [],
  };
}

/** The ledger, written straight through the ledger's own writer in large transactions (fast to build). */
export function buildLedger(path: string, total: number, now = Date.now()): void {
  const db = openDatabase(path);
  db.pragma("synchronous = OFF");
  const write = createEventWriter(db);
  for (let done = 0; done < total; done += BATCH) {
    const n = Math.min(BATCH, total - done);
    const batch = Array.from({ length: n }, (_, i) =>
      toPendingEvent(makeEvent(now - SPAN + Math.floor(((done + i) / total) * SPAN))),
    );
    write(batch);
  }
  upsertLimits(
    db,
    parseLimits([
      { id: "daily-total", maxUsd: 500, window: "day", mode: "allow", alertAtPct: 80 },
      {
        id: "account-0-monthly",
        maxUsd: 50,
        window: "month",
        mode: "block",
        scope: { accountName: "account-0" },
      },
    ]),
    "config",
    now,
  );
  db.close();
}

/** Every call the dashboard page makes, as [label, path under /api/]; the last one is not the page's. */
export function dashboardCalls(now: number, someInstance: string): [string, string][] {
  const iso = (ms: number) => new Date(ms).toISOString();
  const since24h = iso(now - DAY);
  const since7d = iso(now - 7 * DAY);
  const since30d = iso(now - 30 * DAY);
  return [
    ["totals, all time", "totals"],
    ["totals, 7 days", `totals?since=${since7d}`],
    ["totals, 24 h, one use case", `totals?since=${since24h}&useCase=use-case-3`],
    ["timeseries, day buckets, 30 days", `timeseries?bucket=day&since=${since30d}`],
    ["timeseries, hour buckets, all time (720 h)", "timeseries?bucket=hour"],
    ["timeseries, hour buckets, 24 h", `timeseries?bucket=hour&since=${since24h}`],
    ["report by user (page: top 500)", "report?by=user&limit=500"],
    ["report by user, 7 days", `report?by=user&limit=500&since=${since7d}`],
    ["report by use case", "report?by=use-case&limit=500"],
    ["report by instance (top 500 of 125k)", "report?by=instance&limit=500"],
    ["report by instance, 24 h", `report?by=instance&limit=500&since=${since24h}`],
    ["report by account", "report?by=account&limit=500"],
    ["report by model", "report?by=model&limit=500"],
    ["report by tag", "report?by=tag&limit=500"],
    [
      "report by user, 30 days, one use case",
      `report?by=user&limit=500&since=${since30d}&useCase=use-case-3`,
    ],
    ["instance drill-down", `instance/${encodeURIComponent(someInstance)}`],
    ["limits", "limits"],
    ["(not the page) report by instance, all 125k rows", "report?by=instance"],
  ];
}
