import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseTimeBound } from "../../src/ledger/durations.js";
import { LedgerNotFoundError } from "../../src/ledger/errors.js";
import { openLedgerReadonly } from "../../src/ledger/open-database.js";
import {
  REPORT_KEYS,
  type ReportOptions,
  ReportOptionsError,
  type ReportRow,
  recentEvents,
  report,
} from "../../src/ledger/queries.js";
import type { UsageEvent } from "../../src/types.js";
import { makeEvent } from "./fixtures/events.js";
import { fixtureLedger } from "./helpers.js";

const NOW = Date.parse("2025-06-10T12:00:00.000Z");
const DAY = 86_400_000;
const at = (daysAgo: number, hours = 0) => new Date(NOW - daysAgo * DAY + hours * 3_600_000).toISOString();

// A small ledger whose sums are easy to check by hand.
const EVENTS: UsageEvent[] = [
  makeEvent("e1", {
    ts: at(0, -1),
    requestModel: "gpt-4o",
    usage: { inputTokens: 1_000, outputTokens: 100 },
    costMicros: 5_000_000,
    annotations: {
      useCaseName: "support",
      useCaseId: "s-1",
      useCaseStep: "draft",
      userId: "alice",
      accountName: "acme",
      limitIds: ["daily", "acme-monthly"],
      requestTags: ["beta", "eu"],
    },
  }),
  makeEvent("e2", {
    ts: at(0, -2),
    requestModel: "gpt-4o",
    status: "error",
    usage: { inputTokens: 500, outputTokens: 0 },
    costMicros: 1_000_000,
    annotations: {
      useCaseName: "support",
      useCaseId: "s-1",
      useCaseStep: "review",
      userId: "alice",
      accountName: "acme",
      limitIds: ["daily"],
      requestTags: ["beta"],
    },
  }),
  makeEvent("e3", {
    ts: at(2),
    provider: "anthropic",
    operation: "messages",
    requestModel: "claude-sonnet-4-5",
    usage: { inputTokens: 2_000, outputTokens: 300 },
    costMicros: 3_000_000,
    annotations: {
      useCaseName: "support",
      useCaseId: "s-2",
      useCaseStep: "draft",
      userId: "bob",
      accountName: "acme",
    },
  }),
  makeEvent("e4", {
    ts: at(8),
    requestModel: "gpt-4o-mini",
    usage: { inputTokens: 100, outputTokens: 10 },
    costMicros: 3_000_000,
    annotations: {
      useCaseName: "search",
      useCaseId: "q-1",
      userId: "bob",
      accountName: "globex",
      requestTags: ["eu"],
    },
  }),
  makeEvent("e5", {
    ts: at(8, 1),
    requestModel: "my-finetune",
    usage: { inputTokens: 50, outputTokens: 5 },
    costMicros: null,
    costSource: "unpriced",
    annotations: { useCaseName: "search", useCaseId: "q-1" },
  }),
  makeEvent("e6", {
    ts: at(30),
    status: "blocked",
    usage: { inputTokens: 0, outputTokens: 0 },
    costMicros: 0,
    annotations: { userId: "carol", limitIds: ["daily"] },
  }),
];

const { dir, ledger } = fixtureLedger(EVENTS);

const run = (options: Omit<ReportOptions, "now">) => report(ledger(), { now: NOW, ...options });
type Summary = Pick<
  ReportRow,
  "key" | "requests" | "errors" | "inputTokens" | "outputTokens" | "costMicros" | "unpriced"
>;
const summary = (rows: ReportRow[]): Summary[] =>
  rows.map(({ key, requests, errors, inputTokens, outputTokens, costMicros, unpriced }) => ({
    key,
    requests,
    errors,
    inputTokens,
    outputTokens,
    costMicros,
    unpriced,
  }));
const row = (
  key: string | null,
  requests: number,
  errors: number,
  input: number,
  output: number,
  cost: number,
  unpriced = 0,
): Summary => ({
  key,
  requests,
  errors,
  inputTokens: input,
  outputTokens: output,
  costMicros: cost,
  unpriced,
});

describe("report", () => {
  it("totals every event once, with USD derived from integer micros", () => {
    const { totals } = run({ by: "user" });
    expect(totals).toEqual({
      key: null,
      requests: 6,
      errors: 1,
      blocked: 1,
      inputTokens: 3_650,
      outputTokens: 415,
      costNanos: "12000000000",
      estimatedNanos: "0",
      costMicros: 12_000_000,
      costUsd: 12,
      unpriced: 1,
    });
  });

  it("groups by user, sorted by cost then requests, events without a user under null", () => {
    expect(summary(run({ by: "user" }).rows)).toEqual([
      row("alice", 2, 1, 1_500, 100, 6_000_000),
      row("bob", 2, 0, 2_100, 310, 6_000_000),
      // Full ties are broken by key, with "no value" last.
      row("carol", 1, 0, 0, 0, 0),
      row(null, 1, 0, 50, 5, 0, 1),
    ]);
  });

  it("groups by use case, instance (with its use case name), account, step, model, provider", () => {
    expect(summary(run({ by: "use-case" }).rows)).toEqual([
      row("support", 3, 1, 3_500, 400, 9_000_000),
      row("search", 2, 0, 150, 15, 3_000_000, 1),
      row(null, 1, 0, 0, 0, 0),
    ]);
    const instances = run({ by: "instance" }).rows;
    expect(instances.map((r) => [r.key, r.useCaseName, r.requests, r.costMicros])).toEqual([
      ["s-1", "support", 2, 6_000_000],
      ["q-1", "search", 2, 3_000_000],
      ["s-2", "support", 1, 3_000_000],
      [null, null, 1, 0],
    ]);
    expect(summary(run({ by: "account" }).rows).map((r) => [r.key, r.requests, r.costMicros])).toEqual([
      ["acme", 3, 9_000_000],
      ["globex", 1, 3_000_000],
      [null, 2, 0],
    ]);
    expect(summary(run({ by: "step" }).rows).map((r) => [r.key, r.requests, r.costMicros])).toEqual([
      ["draft", 2, 8_000_000],
      [null, 3, 3_000_000],
      ["review", 1, 1_000_000],
    ]);
    expect(summary(run({ by: "model" }).rows).map((r) => [r.key, r.requests, r.costMicros])).toEqual([
      ["gpt-4o", 2, 6_000_000],
      ["gpt-4o-mini", 2, 3_000_000],
      ["claude-sonnet-4-5", 1, 3_000_000],
      ["my-finetune", 1, 0],
    ]);
    expect(summary(run({ by: "provider" }).rows).map((r) => [r.key, r.requests, r.costMicros])).toEqual([
      ["openai", 5, 9_000_000],
      ["anthropic", 1, 3_000_000],
    ]);
  });

  it("groups by tag and by limit through the labels table; unlabelled events under null", () => {
    expect(summary(run({ by: "tag" }).rows)).toEqual([
      row("eu", 2, 0, 1_100, 110, 8_000_000),
      row("beta", 2, 1, 1_500, 100, 6_000_000),
      row(null, 3, 0, 2_050, 305, 3_000_000, 1),
    ]);
    const limits = run({ by: "limit" });
    expect(summary(limits.rows)).toEqual([
      row("daily", 3, 1, 1_500, 100, 6_000_000),
      row(null, 3, 0, 2_150, 315, 6_000_000, 1),
      row("acme-monthly", 1, 0, 1_000, 100, 5_000_000),
    ]);
    // Totals count each event once even though e1 is in two limit rows.
    expect(limits.totals.requests).toBe(6);
  });

  it("groups by UTC day", () => {
    const days = run({ by: "day", order: "key" }).rows;
    expect(days.map((r) => [r.key, r.requests, r.costMicros])).toEqual([
      ["2025-05-11", 1, 0],
      ["2025-06-02", 2, 3_000_000],
      ["2025-06-08", 1, 3_000_000],
      ["2025-06-10", 2, 6_000_000],
    ]);
  });

  it("filters by since (inclusive) and until (exclusive), relative or absolute", () => {
    const week = run({ by: "user", since: "7d" });
    expect(week.since).toBe(new Date(NOW - 7 * DAY).toISOString());
    expect(week.until).toBeNull();
    expect(week.totals.requests).toBe(3);
    expect(summary(week.rows).map((r) => [r.key, r.costMicros])).toEqual([
      ["alice", 6_000_000],
      ["bob", 3_000_000],
    ]);
    expect(run({ by: "user", since: "24h" }).totals.requests).toBe(2);
    expect(run({ by: "user", since: "90m" }).totals.requests).toBe(1);
    expect(run({ by: "user", since: "2w", until: "7d" }).totals.requests).toBe(2);
    expect(run({ by: "user", until: at(30) }).totals.requests).toBe(0);
    expect(run({ by: "user", since: at(30), until: at(30, 1) }).totals.requests).toBe(1);
    const absolute = run({ by: "user", since: "2025-06-01", until: "2025-06-09T00:00:00Z" });
    expect(absolute.totals.requests).toBe(3);
    expect(absolute.since).toBe("2025-06-01T00:00:00.000Z");
    expect(run({ by: "user", since: new Date(NOW - DAY), until: NOW }).totals.requests).toBe(2);
  });

  it("filters by use case and limits rows without changing totals", () => {
    const support = run({ by: "instance", useCase: "support" });
    expect(support.rows.map((r) => r.key)).toEqual(["s-1", "s-2"]);
    expect(support.totals.requests).toBe(3);
    const top = run({ by: "user", limit: 1 });
    expect(top.rows.map((r) => r.key)).toEqual(["alice"]);
    expect(top.totals.requests).toBe(6);
  });

  it("answers every key on an empty range with zero totals", () => {
    for (const by of REPORT_KEYS) {
      const result = run({ by, since: "2030-01-01" });
      expect(result.rows).toEqual([]);
      expect(result.totals).toMatchObject({ requests: 0, costMicros: 0, costUsd: 0, unpriced: 0 });
    }
  });

  it("accepts query-string input (numeric strings, empty values) and rejects bad options clearly", () => {
    expect(
      report(ledger(), { by: "user", limit: "2", since: "", useCase: "", now: NOW } as never).rows,
    ).toHaveLength(2);
    const bad: [unknown, RegExp][] = [
      [{ by: "colour" }, /by/],
      [{ by: "user", since: "7x" }, /since: invalid time "7x"/],
      [{ by: "user", until: "yesterday" }, /until: invalid time/],
      [{ by: "user", limit: 0 }, /limit/],
      [{ by: "user", extra: 1 }, /extra/],
      [{}, /by/],
    ];
    for (const [options, message] of bad) {
      expect(() => report(ledger(), options as ReportOptions)).toThrow(ReportOptionsError);
      expect(() => report(ledger(), options as ReportOptions)).toThrow(message);
    }
  });
});

describe("recentEvents", () => {
  it("returns the last n events, oldest first", () => {
    expect(recentEvents(ledger(), 2).map((e) => e.id)).toEqual(["e2", "e1"]);
    expect(recentEvents(ledger(), 100).map((e) => e.id)).toEqual(["e6", "e4", "e5", "e3", "e2", "e1"]);
    expect(() => recentEvents(ledger(), 0)).toThrow(RangeError);
  });
});

describe("openLedgerReadonly", () => {
  it("fails clearly for a missing file or one that is not a ledger, and cannot write", () => {
    expect(() => openLedgerReadonly(join(dir, "missing.db"))).toThrow(LedgerNotFoundError);
    expect(() => openLedgerReadonly(join(dir, "missing.db"))).toThrow(/no ledger at .*missing\.db/);
    const junk = join(dir, "junk.db");
    writeFileSync(junk, "plain text, not SQLite");
    expect(() => openLedgerReadonly(junk)).toThrow(LedgerNotFoundError);
    expect(() => ledger().prepare("DELETE FROM events").run()).toThrow(/readonly/i);
  });
});

describe("parseTimeBound", () => {
  it("reads durations back from now and ISO dates", () => {
    const now = Date.parse("2025-01-15T00:00:00Z");
    expect(parseTimeBound("30m", now)).toBe(now - 30 * 60_000);
    expect(parseTimeBound("24h", now)).toBe(now - DAY);
    expect(parseTimeBound("7d", now)).toBe(now - 7 * DAY);
    expect(parseTimeBound("2w", now)).toBe(now - 14 * DAY);
    expect(parseTimeBound("2025-01-01", now)).toBe(Date.parse("2025-01-01T00:00:00Z"));
    expect(parseTimeBound("2025-01-01T10:00:00+02:00", now)).toBe(Date.parse("2025-01-01T08:00:00Z"));
    for (const bad of ["", "7", "d", "7 days", "-7d", "7y", "March 3", "2025-13-45"]) {
      expect(() => parseTimeBound(bad, now)).toThrow(/invalid time/);
    }
  });
});
