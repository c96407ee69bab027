import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { handleApi } from "../../src/server/api.js";
import type { MockProvider } from "../../src/testing.js";
import { startTsxChild } from "../support/child.js";
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

const BIN = new URL("../../src/cli/bin.ts", import.meta.url).pathname;

let mock: MockProvider | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

function filesOf(db: string): string {
  let text = "";
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      text += readFileSync(db + suffix).toString("latin1");
    } catch {
      // No such file (the WAL is checkpointed away on close).
    }
  }
  return text;
}

describe("the admin key is never printed, logged or stored", () => {
  it("the real CLI process, on success, on a gap and on a refused key", async () => {
    mock = await adminMock({
      unseen: [
        {
          provider: "anthropic",
          model: "claude-sonnet-4-5-20250929",
          usage: { inputTokens: 900, outputTokens: 90 },
        },
      ],
    });
    const db = tempLedger();
    await tracked(mock, db, async ({ openai, anthropic }) => {
      await chat(openai, "tracked");
      await message(anthropic, "tracked too");
    });
    const env = { ...process.env, OPENAI_ADMIN_KEY: OPENAI_KEY, ANTHROPIC_ADMIN_KEY: ANTHROPIC_KEY };
    const outputs: string[] = [];
    for (const format of ["table", "json", "csv"]) {
      const child = startTsxChild(
        BIN,
        ["reconcile", "--db", db, "--base-url", mock.url, "--format", format, "--allocate"],
        env,
      );
      const { code } = await child.exited;
      expect(code).toBe(3);
      outputs.push(child.stdout(), child.stderr());
    }
    const refused = startTsxChild(BIN, ["reconcile", "--db", db, "--base-url", mock.url], {
      ...env,
      OPENAI_ADMIN_KEY: `${OPENAI_KEY}-revoked`,
    });
    expect((await refused.exited).code).toBe(1);
    expect(refused.stderr()).toMatch(/admin key was refused/);
    outputs.push(refused.stdout(), refused.stderr());

    const everything = outputs.join("\n") + filesOf(db);
    expect(everything).toContain("claude-sonnet-4-5-20250929");
    for (const key of [OPENAI_KEY, ANTHROPIC_KEY, "admin-test-7f3a", "4d2e8b6a0c"])
      expect(everything).not.toContain(key);
    // The keys did reach the provider, in the headers each API documents.
    expect(mock.requests.some((r) => r.headers["authorization"] === `Bearer ${OPENAI_KEY}`)).toBe(true);
    expect(mock.requests.some((r) => r.headers["x-api-key"] === ANTHROPIC_KEY)).toBe(true);
  }, 60_000);
});

describe("runs are stored; --allocate spreads the gap", () => {
  it("stores each run per provider with its days, and allocates the unexplained spend in proportion, exactly", async () => {
    mock = await adminMock();
    const db = tempLedger();
    await tracked(mock, db, async ({ openai }) => {
      await trackContext({ useCaseName: "support", accountName: "acme" }, async () => {
        await chat(openai, "support question one");
        await chat(openai, "support question two");
      });
      await trackContext({ useCaseName: "search", accountName: "globex" }, async () => {
        await chat(openai, "search query");
      });
    });
    for (let i = 0; i < 3; i++) await chat(clients(mock).openai, `an untracked call ${i}`);

    const run = await cli(
      { OPENAI_ADMIN_KEY: OPENAI_KEY },
      "reconcile",
      "--db",
      db,
      "--base-url",
      mock.url,
      "--allocate",
      "--format",
      "json",
    );
    expect(run.code).toBe(3);
    const out = JSON.parse(run.stdout) as {
      totals: { providerUsd: number; ledgerUsd: number };
      allocations: {
        provider: string;
        day: string;
        useCase: string | null;
        account: string | null;
        allocatedUsd: number;
      }[];
    };
    expect(out.allocations.map((a) => [a.useCase, a.account])).toEqual([
      ["search", "globex"],
      ["support", "acme"],
    ]);

    const sqlite = new Database(db, { readonly: true });
    try {
      const runs = sqlite.prepare("SELECT * FROM reconciliations").all() as Record<string, number | string>[];
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ provider: "openai", rows_outside: 1, tolerance_ppm: 20_000 });
      const providerNanos = Number(runs[0]!["provider_nanos"]);
      const ledgerNanos = Number(runs[0]!["ledger_nanos"]);
      const exactTotal = "SELECT SUM(COALESCE(cost_nanos, cost_micros * 1000)) FROM events";
      const ledgerExact = sqlite.prepare(exactTotal).pluck().get() as number;
      expect(ledgerNanos).toBe(ledgerExact);
      expect(providerNanos).toBeGreaterThan(ledgerNanos);

      const shares = sqlite
        .prepare(
          "SELECT use_case_name, basis_nanos, allocated_nanos FROM reconciliation_allocations ORDER BY use_case_name",
        )
        .all() as { use_case_name: string; basis_nanos: number; allocated_nanos: number }[];
      // The gap, to the nano-dollar, split by tracked spend (largest remainder).
      expect(shares.reduce((n, s) => n + s.allocated_nanos, 0)).toBe(providerNanos - ledgerNanos);
      const gap = providerNanos - ledgerNanos;
      for (const s of shares) {
        expect(Math.abs(s.allocated_nanos - (gap * s.basis_nanos) / ledgerNanos)).toBeLessThan(1);
      }
      // Allocated spend is never mixed into measured cost.
      expect(sqlite.prepare(exactTotal).pluck().get()).toBe(ledgerExact);

      const latest = (await handleApi({ db: sqlite }, "/api/reconciliations", new URLSearchParams())) as {
        days: {
          provider: string;
          providerUsd: number;
          ledgerUsd: number;
          gapUsd: number;
          coveragePct: number;
        }[];
      };
      expect(latest.days).toHaveLength(1);
      expect(latest.days[0]).toMatchObject({ provider: "openai" });
      expect(latest.days[0]!.gapUsd).toBeCloseTo(gap / 1e9, 9);
      expect(latest.days[0]!.coveragePct).toBeLessThan(100);
    } finally {
      sqlite.close();
    }
  });
});
