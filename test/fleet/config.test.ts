import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { LEDGER_ENV } from "../../src/ledger/location.js";

const saved = process.env[LEDGER_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[LEDGER_ENV];
  else process.env[LEDGER_ENV] = saved;
});

describe("where the ledger is", () => {
  it("takes a postgres:// URL in instrument({ ledger })", () => {
    expect(resolveConfig({ ledger: "postgres://app@db.internal:5432/costs?sslmode=require" }).ledger).toBe(
      "postgres://app@db.internal:5432/costs?sslmode=require",
    );
  });

  it("reads COSTTRAIL_LEDGER (a URL or a file path) when ledger is not given; ledger wins when given", () => {
    process.env[LEDGER_ENV] = "postgres://app@db:5432/costs";
    expect(resolveConfig({}).ledger).toBe("postgres://app@db:5432/costs");
    expect(resolveConfig({ ledger: "local.db" }).ledger).toBe("local.db");
    expect(resolveConfig({ ledger: false }).ledger).toBe(false);
    process.env[LEDGER_ENV] = "/var/lib/app/ledger.db";
    expect(resolveConfig({}).ledger).toBe("/var/lib/app/ledger.db");
    process.env[LEDGER_ENV] = "";
    expect(resolveConfig({}).ledger).toBe(".costtrail/ledger.db");
  });

  it("rejects a URL that does not parse, naming the field and masking the password", () => {
    const bad = () => resolveConfig({ ledger: "postgres://app:s3cret@[bad/costs" });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(
      /^costtrail: invalid instrument\(\) config: ledger: postgres:\/\/app:\*\*\*@\[bad\/costs is not a valid Postgres URL/,
    );
    expect(() => bad()).not.toThrow(/s3cret/);
    process.env[LEDGER_ENV] = "postgres://app:s3cret@/costs";
    let error: unknown;
    try {
      resolveConfig({});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(LEDGER_ENV);
    expect((error as Error).message).toContain("COSTTRAIL_LEDGER");
    expect((error as Error).message).not.toContain("s3cret");
  });
});
