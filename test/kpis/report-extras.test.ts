import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { openDatabase } from "../../src/ledger/open-database.js";
import { parseLimit } from "../../src/limits/definition.js";
import { upsertLimits } from "../../src/limits/store.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { fixtureLedger } from "../ledger/helpers.js";

const NOW = Date.now();
const HOUR = 3_600_000;
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString();
const event = (id: string, hoursAgo: number, costMicros: number, useCaseName = "search") =>
  makeEvent(id, { ts: at(hoursAgo), costMicros, annotations: { useCaseName, useCaseId: `i-${id}` } });

// search: 4 instances at $0.001, $0.002, $0.003 and $0.010; the last two within the last day.
const { path } = fixtureLedger([
  event("a", 100, 1_000),
  event("b", 50, 2_000),
  event("c", 2, 3_000),
  event("d", 1, 10_000),
  event("old", 24 * 30, 999_999),
  event("x", 3, 7_000, "chat"),
]);

beforeAll(() => {
  const db = openDatabase(path);
  upsertLimits(
    db,
    [
      parseLimit(
        { id: "search-total", maxUsd: 1, window: "total", mode: "block", scope: { useCaseName: "search" } },
        "test",
      ),
      parseLimit(
        { id: "search-daily", maxUsd: 1, window: "day", mode: "allow", scope: { useCaseName: "search" } },
        "test",
      ),
    ],
    "cli",
    NOW,
  );
  db.close();
});

async function json(...argv: string[]): Promise<any> {
  let out = "";
  let err = "";
  const code = await runCli([...argv, "--db", path, "--format", "json"], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  expect({ code, err }).toEqual({ code: 0, err: "" });
  return JSON.parse(out);
}

describe("report --by instance: cost per instance", () => {
  it("p50 / p95 / max per use case (nearest rank: an actual instance's cost)", async () => {
    const result = await json("report", "--by", "instance", "--since", "7d");
    expect(result.distribution).toEqual([
      {
        useCase: "chat",
        instances: 1,
        p50Micros: 7_000,
        p95Micros: 7_000,
        maxMicros: 7_000,
        totalMicros: 7_000,
      },
      {
        useCase: "search",
        instances: 4,
        p50Micros: 2_000,
        p95Micros: 10_000,
        maxMicros: 10_000,
        totalMicros: 16_000,
      },
    ]);
    expect(result.rows).toHaveLength(5);
    let out = "";
    const code = await runCli(["report", "--by", "instance", "--since", "7d", "--db", path], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => {} },
    });
    expect(code).toBe(0);
    const tail = out.slice(out.indexOf("Cost per instance, per use case"));
    expect(tail).toMatch(
      /^Cost per instance, per use case\nuse case\s+instances\s+p50 USD\s+p95 USD\s+max USD/,
    );
    expect(tail).toMatch(/\nsearch\s+4\s+0\.002000\s+0\.010000\s+0\.010000\n/);
  });
});

describe("report --forecast", () => {
  it("spend rates per use case over the last day and 7 days", async () => {
    const result = await json("report", "--forecast");
    expect(result.useCases).toEqual([
      {
        useCase: "chat",
        last7dMicros: 7_000,
        last1dMicros: 7_000,
        perDay7dMicros: 1_000,
        next30dAt7dRateMicros: 30_000,
      },
      {
        useCase: "search",
        last7dMicros: 16_000,
        last1dMicros: 13_000,
        perDay7dMicros: 2_286,
        next30dAt7dRateMicros: 68_580,
      },
    ]);
  });

  it("per limit: when it is reached at each rate, or not before the window resets", async () => {
    const result = await json("report", "--forecast");
    const total = result.limits.find((l: { id: string }) => l.id === "search-total");
    expect(total).toMatchObject({
      window: "total",
      maxMicros: 1_000_000,
      spentMicros: 0,
      remainingMicros: 1_000_000,
      resetsAt: null,
      last1dMicros: 13_000,
      perDay7dMicros: 2_286,
    });
    const now = Date.parse(result.now);
    // $1 at $0.013 a day: 76.9 days; at $0.002286 a day: 437.4 days.
    expect(Date.parse(total.reachedAt1d) - now).toBe(Math.ceil((1_000_000 / 13_000) * 24 * HOUR));
    expect(Date.parse(total.reachedAt7d) - now).toBe(Math.ceil((1_000_000 / 2_286) * 24 * HOUR));
    // A daily $1 limit is not reached at these rates before midnight UTC.
    const daily = result.limits.find((l: { id: string }) => l.id === "search-daily");
    expect(daily).toMatchObject({ reachedAt1d: null, reachedAt7d: null });
    expect(daily.resetsAt).not.toBeNull();
  });

  it("the table names the rates and limits", async () => {
    let out = "";
    const code = await runCli(["report", "--forecast", "--db", path], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => {} },
    });
    expect(code).toBe(0);
    expect(out).toMatch(/^Spend rate per use case/);
    expect(out).toMatch(/search\s+0\.013000\s+0\.016000\s+0\.002286\s+0\.068580/);
    expect(out).toMatch(/search-daily\s+day\s+0\.000000\s+1\.000000\s+0\.013000\s+0\.002286\s+-\s+-/);
  });
});
