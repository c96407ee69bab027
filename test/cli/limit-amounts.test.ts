// Limits are kept in integer micro-USD; an amount finer than that is refused, naming the flag (issue 22 item 12).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ConfigError, instrument } from "../../src/index.js";
import { cli, tempDir } from "../limits/helpers.js";

const dir = tempDir("costtrail-limit-amounts-");

it("--max-usd finer than a micro-dollar is a usage error naming the flag, and nothing is written", async () => {
  const db = join(dir, "fine.db");
  for (const amount of ["0.0000001", "1e-7", "12.3456789"]) {
    const r = await cli(
      "limits",
      "set",
      "tiny",
      "--max-usd",
      amount,
      "--window",
      "day",
      "--mode",
      "block",
      "--db",
      db,
    );
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toBe(
      "costtrail: invalid limit: --max-usd: must be a whole number of micro-dollars (at most 6 decimal places)\n",
    );
  }
  expect(existsSync(db)).toBe(false);
  const ok = await cli(
    "limits",
    "set",
    "tiny",
    "--max-usd",
    "0.000001",
    "--window",
    "day",
    "--mode",
    "block",
    "--db",
    db,
  );
  expect(ok).toMatchObject({
    code: 0,
    out: 'limit "tiny" set: block at $0.000001 per day, applies to calls naming it in limitIds\n',
  });
});

it("instrument({ limits }) refuses the same amounts with a ConfigError naming the field", () => {
  expect(() =>
    instrument({ ledger: false, limits: [{ id: "tiny", maxUsd: 0.0000001, window: "day", mode: "block" }] }),
  ).toThrow(expect.objectContaining({ field: "limits.0.maxUsd", constructor: ConfigError }));
});
