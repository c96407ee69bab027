// Issue 22 item 2: a stream never read nor closed does not hold its reservation until the reaper (10 minutes):
// once the garbage collector takes it, the call ends as Abandoned and the reservation is given back. Run in a
// child process with the collector exposed (--expose-gc), in memory and on the fleet's Postgres.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../limits/postgres/database.js";
import { startTsxChild } from "../support/child.js";

const WORKER = fileURLToPath(new URL("./fixtures/gc-worker.ts", import.meta.url));
let pg: TestDatabase;
beforeAll(async () => {
  pg = await createTestDatabase();
});
afterAll(async () => {
  await pg.drop();
});

describe.each([
  ["in memory", () => "none"],
  ["on Postgres", () => pg.url],
])("streams dropped unread, %s", (_where, ledger) => {
  it("end as Abandoned when collected, giving their reservation back", async () => {
    const child = startTsxChild(WORKER, [ledger()], {
      ...process.env,
      NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --expose-gc`,
    });
    const exit = await child.exited;
    expect(exit, child.stderr()).toEqual({ code: 0, signal: null });
    const out = JSON.parse(child.stdout().trim().split("\n").at(-1)!);
    expect(out).toEqual({
      heldWhileReachable: true,
      endedWhenCollected: true,
      admittedAfter: true,
      iteratorEndedWhenCollected: true,
      admittedAfterIterator: true,
      statuses: ["blocked:LimitExceededError", "aborted:Abandoned", "ok", "aborted:Abandoned", "ok", "ok"],
    });
  }, 60_000);
});
