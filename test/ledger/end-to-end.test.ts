import { execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { type MockProvider, startMockProvider } from "../../src/testing.js";

const app = new URL("../fixtures/ledger-app.ts", import.meta.url).pathname;
let mock: MockProvider;
let dir: string;
beforeAll(async () => {
  mock = await startMockProvider();
  dir = mkdtempSync(join(tmpdir(), "costtrail-e2e-"));
});
afterAll(() => mock.close());

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  } as never);
  return { code, out, err };
}

describe("a script with instrument() → the ledger file → costtrail report", () => {
  it("reports by user and by instance from the real SQLite file, as table, json and csv", async () => {
    const db = join(dir, "script.db");
    await promisify(execFile)(process.execPath, ["--import", "tsx", app, db], {
      env: { ...process.env, MOCK_URL: mock.url },
    });
    const usage = mock.requests.map((r) => r.usage!);

    const byUser = await cli("report", "--by", "user", "--db", db, "--format", "json");
    expect(byUser.code).toBe(0);
    const json = JSON.parse(byUser.out) as {
      rows: { key: string; requests: number; inputTokens: number; costMicros: number }[];
    };
    expect(json.rows.map((r) => r.key).sort()).toEqual(["user-0", "user-1", "user-2"]);
    for (const row of json.rows) {
      const mine = usage.filter((_, i) => `user-${i % 3}` === row.key);
      expect(row.requests).toBe(2);
      expect(row.inputTokens).toBe(mine.reduce((a, u) => a + u.inputTokens, 0));
      expect(row.costMicros).toBeGreaterThan(0);
    }

    // Global instrumentation: one root instance for the whole process.
    const byInstance = JSON.parse(
      (await cli("report", "--by", "instance", "--db", db, "--format", "json")).out,
    );
    expect(byInstance.rows).toHaveLength(1);
    expect(byInstance.rows[0]).toMatchObject({ useCaseName: "nightly-digest", requests: 6 });

    const csv = (await cli("report", "--by", "user", "--db", db, "--format", "csv")).out.trim().split("\n");
    expect(csv).toHaveLength(4);
    expect(csv[0]?.split(",").length).toBeGreaterThanOrEqual(6);
    const table = (await cli("report", "--by", "user", "--db", db)).out;
    expect(table).toContain("user-1");
  });

  it("SIGTERM: every acknowledged event is in the file, and the process still dies of the signal", async () => {
    const db = join(dir, "killed.db");
    const child = spawn(process.execPath, ["--import", "tsx", app, db, "wait", "12"], {
      env: { ...process.env, MOCK_URL: mock.url },
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready\n")) child.kill("SIGTERM");
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on("exit", (c, s) => resolve([c, s])),
    );
    expect(signal ?? code).toBe(code === null ? "SIGTERM" : 143);
    const acked = [...out.matchAll(/^ack (\S+)$/gm)].map((m) => m[1]);
    expect(acked).toHaveLength(12);
    const rows = new Database(db, { readonly: true }).prepare("SELECT id FROM events").all() as {
      id: string;
    }[];
    expect(rows.map((r) => r.id).sort()).toEqual([...acked].sort());
  });
});
