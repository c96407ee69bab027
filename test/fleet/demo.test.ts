import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { freshDatabase, query } from "./pg-helpers.js";

const bin = fileURLToPath(new URL("../../src/cli/bin.ts", import.meta.url));
const db = freshDatabase("demo");

it("demo --fleet: three workers on one Postgres ledger and one shared limit, one fleet report", async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", bin, "demo", "--fleet", db.url()],
    {
      timeout: 170_000,
    },
  );
  const workers = [...stdout.matchAll(/worker-\d: (\d+) calls made, (\d+) blocked by the shared limit/g)];
  expect(workers).toHaveLength(3);
  const made = workers.reduce((n, m) => n + Number(m[1]), 0);
  const blocked = workers.reduce((n, m) => n + Number(m[2]), 0);
  expect(made + blocked).toBe(120);
  expect(blocked).toBeGreaterThan(0);
  // The report is the ledger's: every call of the three processes, blocked ones included.
  const [row] = await query<{ n: string; blocked: string }>(
    db.url(),
    "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'blocked') AS blocked FROM events",
  );
  expect(row).toEqual({ n: "120", blocked: String(blocked) });
  expect(stdout).toMatch(/^total +120 +0 +\d+ /m);
}, 180_000);
