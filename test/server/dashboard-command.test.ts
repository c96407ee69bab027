import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { serverLedger } from "./fixture.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { path } = serverLedger();

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe("costtrail dashboard", () => {
  it("serves the ledger until SIGTERM, printing its URL (with the token when set)", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/bin.ts",
        "dashboard",
        "--db",
        path,
        "--port",
        "0",
        "--token",
        "tok-12345678",
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      for (let i = 0; i < 300 && !stdout.includes("\n"); i++) await new Promise((r) => setTimeout(r, 50));
      const match = stdout.match(/^costtrail dashboard: (http:\/\/127\.0\.0\.1:\d+\/)\?token=tok-12345678 /);
      expect(match, `${stdout}\n${stderr}`).not.toBeNull();
      const base = match![1]!;
      expect((await fetch(`${base}api/totals`)).status).toBe(401);
      const totals = await fetch(`${base}api/totals`, { headers: { "x-costtrail-token": "tok-12345678" } });
      expect((await totals.json()).totals.requests).toBe(7);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
  });

  it("reports bad usage in one line with exit code 2", async () => {
    const missing = await cli("dashboard", "--db", join(ROOT, "nowhere", "ledger.db"), "--port", "0");
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toMatch(/^costtrail: no ledger at .*nowhere.* \(use --db <path>\)\n$/);
    for (const [argv, message] of [
      [["--port", "http"], /--port <port>' argument 'http' is invalid\. expected a port, 0 to 65535/],
      [["--port", "70000"], /expected a port/],
      [["--token", "short"], /expected 8 to 256 printable characters/],
      [["--colour", "red"], /unknown option '--colour'/],
    ] as const) {
      const run = await cli("dashboard", "--db", path, ...argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.split("\n")).toHaveLength(2);
    }
  });

  it("says so when the port is taken", async () => {
    const { createServer } = await import("node:http");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await cli("dashboard", "--db", path, "--port", String(port));
      expect(run).toEqual({
        code: 2,
        stdout: "",
        stderr: `costtrail: port ${port} is in use (use --port)\n`,
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("is listed in --help", async () => {
    expect((await cli("--help")).stdout).toMatch(/dashboard \[options\]\s+a local web page of cost drivers/);
    expect((await cli("dashboard", "--help")).stdout).toMatch(/--port <port>[\s\S]*default: 4319/);
  });
});
