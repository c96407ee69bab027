import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMIT_SCHEMA_VERSION } from "../../src/limits/postgres/schema.js";
import { type MockProvider, startMockProvider } from "../../src/testing.js";
import { tempDir } from "../ledger/helpers.js";
import { freshDatabase, query, startChildIn } from "./pg-helpers.js";

const CHILD = fileURLToPath(new URL("./fixtures/app-child.ts", import.meta.url));
const dir = tempDir("costtrail-fleet-proc-");
let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(() => mock.close());

const run = (url: string, args: string[]) =>
  startChildIn(dir, CHILD, args, { COSTTRAIL_LEDGER: url, MOCK_URL: mock.url });

describe("many processes, one Postgres ledger", () => {
  const empty = freshDatabase("migrate20");
  it("20 processes starting at once against an empty database: one migration, no errors", async () => {
    // Whole apps (instrument(): the ledger sink and the limit gate, each with its schema), one call each, all
    // starting together on this loaded machine: nothing may be logged, not even a slow connect.
    const children = Array.from({ length: 20 }, (_, i) => run(empty.url(), [`starter-${i}`, "1"]));
    const exits = await Promise.all(children.map((c) => c.exited));
    expect(exits.map((e) => e.code)).toEqual(Array(20).fill(0));
    expect(children.map((c) => c.stderr())).toEqual(Array(20).fill(""));
    const versions = await query<{ version: number }>(
      empty.url(),
      "SELECT version FROM costtrail_schema ORDER BY version",
    );
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(await query(empty.url(), "SELECT id, version FROM costtrail_limit_schema")).toEqual([
      { id: 1, version: LIMIT_SCHEMA_VERSION },
    ]);
    const [events] = await query<{ n: string }>(empty.url(), "SELECT count(*) AS n FROM events");
    expect(events!.n).toBe("20");
  }, 300_000);

  const shared = freshDatabase("three");
  it("three processes writing one ledger: every call is in it, attributed to its process's user", async () => {
    mock.reset();
    const children = ["ann", "bob", "cat"].map((user, i) => run(shared.url(), [user, String(30 + i * 10)]));
    const exits = await Promise.all(children.map((c) => c.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    expect(children.map((c) => c.stderr())).toEqual(["", "", ""]);
    const rows = await query<{ user_id: string; n: string; nanos: string }>(
      shared.url(),
      "SELECT user_id, count(*) AS n, sum(cost_nanos) AS nanos FROM events GROUP BY user_id ORDER BY user_id",
    );
    expect(rows.map((r) => [r.user_id, Number(r.n)])).toEqual([
      ["ann", 30],
      ["bob", 40],
      ["cat", 50],
    ]);
    expect(mock.requests.length).toBe(120);
  }, 120_000);
});
