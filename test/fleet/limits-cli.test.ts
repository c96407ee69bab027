// `costtrail limits set|reset|delete --db postgres://…` write the fleet gate's tables: the same output as on a
// SQLite file, and a running gate (another process's, here one in this process) follows within a second.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LimitExceededError } from "../../src/errors.js";
import type { ReserveRequest } from "../../src/limits/gate.js";
import { PostgresLimitGate } from "../../src/limits/postgres/gate.js";
import { cli, tempDir } from "../limits/helpers.js";
import { freshDatabase, query } from "./pg-helpers.js";

const pg = freshDatabase("limcli");
const bare = freshDatabase("limcli_bare");
const dir = tempDir("costtrail-fleet-limits-cli-");
let n = 0;
const freshFile = () => join(dir, `l-${n++}.db`);

const gates: PostgresLimitGate[] = [];
afterAll(async () => {
  await Promise.all(gates.map((g) => g.close()));
});

const request = (limitIds: string[], reserveNanos: number): ReserveRequest => ({
  annotations: { limitIds },
  provider: "openai",
  requestModel: "gpt-4o-mini",
  reserveMicros: Math.ceil(reserveNanos / 1000),
  reserveNanos,
});

/** The same command on a fresh SQLite file and on the Postgres ledger; both answers. */
async function onBoth(file: string, ...argv: string[]) {
  const sqlite = await cli(...argv, "--db", file);
  const postgres = await cli(...argv, "--db", pg.url());
  return { sqlite, postgres };
}

const SET_DOCS = [
  "limits",
  "set",
  "docs",
  "--max-usd",
  "50",
  "--window",
  "month",
  "--mode",
  "block",
  "--alert-at",
  "80",
  "--user",
  "alice",
];

describe("costtrail limits on a Postgres ledger", () => {
  it("set, list, reset and delete print what they print for a SQLite file", async () => {
    const file = freshFile();
    const set = await onBoth(file, ...SET_DOCS);
    expect(set.sqlite).toEqual({
      code: 0,
      out: 'limit "docs" set: block at $50.000000 per month, alert at 80%, scope user=alice\n',
      err: "",
    });
    expect(set.postgres).toEqual(set.sqlite);
    const again = await onBoth(
      file,
      "limits",
      "set",
      "d",
      "--max-usd",
      "0.002",
      "--window",
      "total",
      "--mode",
      "allow",
    );
    expect(again.postgres).toEqual(again.sqlite);

    const json = await onBoth(file, "limits", "list", "--format", "json");
    expect(json.postgres.code).toBe(0);
    const withoutTimes = (out: string) =>
      (JSON.parse(out) as Record<string, unknown>[]).map(({ updatedMs: _u, ...rest }) => rest);
    expect(withoutTimes(json.postgres.out)).toEqual(withoutTimes(json.sqlite.out));
    expect(withoutTimes(json.postgres.out).map((s) => s["id"])).toEqual(["d", "docs"]);
    const table = await onBoth(file, "limits", "list");
    expect(table.postgres).toEqual(table.sqlite);

    const reset = await onBoth(file, "limits", "reset", "d");
    expect(reset.sqlite).toEqual({
      code: 0,
      out: 'limit "d" reset: no spend in its total window from 1970-01-01T00:00:00Z\n',
      err: "",
    });
    expect(reset.postgres).toEqual(reset.sqlite);

    for (const id of ["d", "docs"]) {
      const deleted = await onBoth(file, "limits", "delete", id);
      expect(deleted.sqlite).toEqual({ code: 0, out: `limit "${id}" deleted\n`, err: "" });
      expect(deleted.postgres).toEqual(deleted.sqlite);
    }
    expect(JSON.parse((await cli("limits", "list", "--db", pg.url(), "--format", "json")).out)).toEqual([]);
    expect((await cli("limits", "list", "--db", pg.url())).out).toBe(
      `no limits in ${pg.url()} (add one with: costtrail limits set <id> …)\n`,
    );
  });

  it("a running gate enforces a limit set from the CLI, starts over on reset and drops it on delete", async () => {
    const set = await cli(
      "limits",
      ...["set", "shared", "--max-usd", "0.00001", "--window", "day", "--mode", "block", "--db", pg.url()],
    );
    expect(set.code).toBe(0);
    const gate = new PostgresLimitGate({ url: pg.url(), refreshMs: 50 });
    gates.push(gate);
    await gate.ready;
    expect(gate.limits.map((l) => l.id)).toContain("shared");

    // $0.00001 = 10,000 nano-USD: 9,000 fits, then settles at 9,000; the next 9,000 does not fit.
    const first = await gate.reserve(request(["shared"], 9_000));
    first!.settle(9, 9_000);
    const refused = await Promise.resolve()
      .then(() => gate.reserve(request(["shared"], 9_000)))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LimitExceededError);

    expect((await cli("limits", "reset", "shared", "--db", pg.url())).code).toBe(0);
    const [row] = await query<{ s: string }>(
      pg.url(),
      "SELECT sum(spent_nanos)::text AS s FROM costtrail_limit_windows WHERE limit_id = 'shared'",
    );
    expect(row!.s).toBe("0");
    const after = await gate.reserve(request(["shared"], 9_000));
    expect(after).toBeDefined();
    after!.release();

    // A CLI change reaches the gate through the definitions' version (polled every refreshMs here).
    await cli(
      ...[
        "limits",
        "set",
        "shared",
        "--max-usd",
        "1",
        "--window",
        "day",
        "--mode",
        "block",
        "--db",
        pg.url(),
      ],
    );
    await waitUntil(() => gate.limits.find((l) => l.id === "shared")?.maxMicros === 1_000_000);
    expect((await cli("limits", "delete", "shared", "--db", pg.url())).code).toBe(0);
    await waitUntil(() => !gate.limits.some((l) => l.id === "shared"));
    expect(
      await query(pg.url(), "SELECT * FROM costtrail_limit_reservations WHERE limit_id = 'shared'"),
    ).toEqual([]);
  });

  it("errors name the ledger with its password masked and exit 2: unknown id, a database with no ledger", async () => {
    const masked = (url: string) => url.replace("postgres@", "postgres:***@");
    const withPassword = pg.url().replace("postgres@", "postgres:not-Shown-7@");
    const unknown = await cli("limits", "reset", "nope", "--db", withPassword);
    expect(unknown).toEqual({
      code: 2,
      out: "",
      err: `costtrail: no limit "nope" in ${masked(pg.url())} (see costtrail limits list)\n`,
    });
    const empty = bare.url().replace("postgres@", "postgres:not-Shown-7@");
    for (const argv of [
      ["reset", "x"],
      ["delete", "x"],
    ]) {
      const r = await cli("limits", ...argv, "--db", empty);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/holds no costtrail ledger yet/);
      expect(r.err).not.toContain("not-Shown-7");
    }
    const unreachable = await cli(
      "limits",
      ...["set", "x", "--max-usd", "1", "--window", "day", "--mode", "block"],
      ...["--db", "postgres://app:not-Shown-7@127.0.0.1:1/costs"],
    );
    expect(unreachable.code).toBe(2);
    expect(unreachable.err).toContain("postgres://app:***@127.0.0.1:1/costs");
    expect(unreachable.err).not.toContain("not-Shown-7");
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
