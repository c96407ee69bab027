import { describe, expect, it } from "vitest";
import { ConfigError, instrument } from "../../src/index.js";
import { parseLimit, parseLimits } from "../../src/limits/index.js";
import { cli, tempDir } from "./helpers.js";

const good = { id: "monthly", maxUsd: 50, window: "month", mode: "block" };
const dir = tempDir("costtrail-limits-def-");

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error("did not throw");
}

describe("LimitDefinition validation", () => {
  it("accepts a full definition and keeps the amount as integer micro-USD", () => {
    const limit = parseLimit(
      { ...good, maxUsd: 0.01, alertAtPct: 80, scope: { userId: "u", accountName: "a", useCaseName: "c" } },
      "test",
    );
    expect(limit).toEqual({
      id: "monthly",
      maxMicros: 10_000,
      window: "month",
      mode: "block",
      alertAtPct: 80,
      scope: { userId: "u", accountName: "a", useCaseName: "c" },
    });
    expect(parseLimit({ ...good, scope: {} }, "test").scope).toBeUndefined();
  });

  it.each([
    [{ ...good, maxUsd: -1 }, "maxUsd", "must be ≥ 0"],
    [{ ...good, maxUsd: Number.NaN }, "maxUsd", "must be a number"],
    [{ ...good, maxUsd: Number.POSITIVE_INFINITY }, "maxUsd", ""],
    [{ ...good, maxUsd: "50" }, "maxUsd", "must be a number"],
    [{ ...good, window: "year" }, "window", "must be one of day, week, month, total"],
    [{ ...good, mode: "warn" }, "mode", "must be one of allow, block"],
    [{ ...good, id: "" }, "id", "must not be empty"],
    [{ ...good, id: "x".repeat(513) }, "id", "must be at most 512 characters"],
    [{ ...good, alertAtPct: 0 }, "alertAtPct", "must be > 0"],
    [{ ...good, alertAtPct: 150 }, "alertAtPct", "must be at most 100"],
    [{ ...good, scope: { userId: "" } }, "scope.userId", "must not be empty"],
    [{ ...good, scope: { tenant: "x" } }, "scope.tenant", "is not a known key"],
    [{ ...good, budget: 1 }, "budget", "is not a known key"],
    [{ id: "x", window: "day", mode: "block" }, "maxUsd", "is required"],
    ["monthly", "limits.0", "must be a limit definition object"],
  ])("case %# → ConfigError naming %s", (input, field, message) => {
    const error = errorOf(() => parseLimits([input]));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe("ConfigError");
    const full = field.startsWith("limits") ? field : `limits.0.${field}`;
    expect(error.field).toBe(full);
    expect(error.message).toContain(`${full}: ${message}`);
  });

  it("refuses two definitions with one id", () => {
    const error = errorOf(() => parseLimits([good, { ...good, maxUsd: 1 }]));
    expect(error.field).toBe("limits.1.id");
    expect(error.message).toContain('"monthly" is defined twice');
  });

  it("instrument() throws before opening anything", () => {
    const error = errorOf(() =>
      instrument({ ledger: false, limits: [{ ...good, window: "fortnight" } as never] }),
    );
    expect(error).toMatchObject({ name: "ConfigError", field: "limits.0.window" });
  });
});

describe("costtrail limits set with a bad definition", () => {
  it.each([
    [["--max-usd", "-5"], "--max-usd: must be ≥ 0"],
    [["--max-usd", "lots"], "--max-usd: must be a number"],
    [["--window", "year"], "--window: must be one of day, week, month, total"],
    [["--mode", "maybe"], "--mode: must be one of allow, block"],
    [["--alert-at", "0"], "--alert-at: must be > 0"],
    [["--user", ""], "--user: must not be empty"],
  ])("%j → exit 2 and one line", async (flags, message) => {
    const base: Record<string, string> = { "--max-usd": "5", "--window": "day", "--mode": "block" };
    for (let i = 0; i < flags.length; i += 2) base[flags[i]!] = flags[i + 1]!;
    const db = `${dir}/bad.db`;
    const r = await cli("limits", "set", "x", ...Object.entries(base).flat(), "--db", db);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(`costtrail: invalid limit: ${message}\n`);
  });

  it("an empty id → exit 2 and one line", async () => {
    const r = await cli(
      "limits",
      "set",
      "",
      "--max-usd",
      "5",
      "--window",
      "day",
      "--mode",
      "block",
      "--db",
      `${dir}/bad.db`,
    );
    expect({ code: r.code, err: r.err }).toEqual({
      code: 2,
      err: "costtrail: invalid limit: <id>: must not be empty\n",
    });
  });

  it("a missing required flag → exit 2 and one line", async () => {
    const r = await cli("limits", "set", "x", "--max-usd", "5", "--window", "day", "--db", `${dir}/bad.db`);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain("--mode");
  });
});
