import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
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
  // The shared limit, as `costtrail limits list` reads it from the gate's tables on the same database.
  let out = "";
  const code = await runCli(["limits", "list", "--db", db.url(), "--format", "json"], {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: () => {} },
  });
  expect(code).toBe(0);
  const [limit] = JSON.parse(out) as {
    id: string;
    mode: string;
    spentUsd: number;
    maxUsd: number;
    blocked: number;
  }[];
  expect(limit).toMatchObject({ mode: "block", maxUsd: 0.001, blocked });
  expect(limit!.id).toMatch(/^fleet-demo-[0-9a-f]+-daily$/);
  expect(limit!.spentUsd).toBeGreaterThan(0);
}, 180_000);
