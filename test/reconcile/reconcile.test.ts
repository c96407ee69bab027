import { afterEach, describe, expect, it } from "vitest";
import type { MockProvider } from "../../src/testing.js";
import {
  ANTHROPIC_KEY,
  adminMock,
  chat,
  cli,
  clients,
  message,
  OPENAI_KEY,
  tempLedger,
  trackContext,
  tracked,
} from "./helpers.js";

let mock: MockProvider | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

interface Output {
  rows: Record<string, unknown>[];
  totals: { providerUsd: number; ledgerUsd: number; diffUsd: number; coveragePct: number | null };
}

describe("costtrail reconcile against the mock's admin API", () => {
  it("an exact match: exit 0, coverage 100 %, provider and ledger figures equal", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await trackContext({ useCaseName: "support", accountName: "acme" }, async () => {
        await chat(openai, "What does a call cost?");
        await chat(openai, "And two calls?");
        await chat(openai, "Three?", "gpt-4o");
      });
    });
    const run = await cli(
      { OPENAI_ADMIN_KEY: OPENAI_KEY },
      "reconcile",
      "--provider",
      "openai",
      "--db",
      db,
      "--base-url",
      mock.url,
      "--format",
      "json",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Output;
    expect(out.rows.map((r) => r["model"]).sort()).toEqual(["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18"]);
    for (const row of out.rows) {
      expect(row).toMatchObject({ coveragePct: 100, diffUsd: 0, withinTolerance: true, cause: null });
      expect(row["ledgerUsd"]).toBe(row["providerUsd"]);
      expect(row["ledgerRequests"]).toBe(row["providerRequests"]);
      expect(row["ledgerInputTokens"]).toBe(row["providerInputTokens"]);
      expect(row["ledgerOutputTokens"]).toBe(row["providerOutputTokens"]);
    }
    expect(out.totals.coveragePct).toBe(100);
    expect(out.totals.providerUsd).toBeGreaterThan(0);
    expect(Object.keys(out.rows[0]!)).toEqual(
      expect.arrayContaining([
        "day",
        "model",
        "providerUsd",
        "ledgerUsd",
        "diffUsd",
        "providerRequests",
        "ledgerRequests",
        "providerInputTokens",
        "ledgerInputTokens",
        "providerOutputTokens",
        "ledgerOutputTokens",
        "coveragePct",
      ]),
    );
  });
});
