// `costtrail prices`: the catalog with rates and sources, and --check against a ledger.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { recordingLogger, records, tempDir } from "../ledger/helpers.js";

const bin = new URL("../../src/cli/bin.ts", import.meta.url).pathname;
const dir = tempDir("costtrail-prices-");
const demoDb = join(dir, "demo.db");

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [
    "--import",
    "tsx",
    bin,
    "demo",
    "--db",
    demoDb,
    "--users",
    "3",
    "--requests",
    "30",
    "--latency",
    "1",
  ]);
}, 120_000);

describe("costtrail prices", () => {
  it("lists models with their rates and sources", async () => {
    const { code, stdout } = await cli("prices", "--provider", "anthropic", "--model", "claude-sonnet-4-0");
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /claude-sonnet-4-0\s+standard\s+3\s+0\.3\s+3\.75\s+6\s+15\s+web_searches_kcount=10\s+genai-prices@\d/,
    );
  });

  it("lists tier rates with their table source, as JSON too", async () => {
    const { code, stdout } = await cli(
      "prices",
      "--provider",
      "openai",
      "--model",
      "gpt-5-mini",
      "--tiers",
      "--format",
      "json",
    );
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as {
      model: string;
      tier: string;
      rates: Record<string, number>;
      source: string;
    }[];
    const priority = rows.find((r) => r.model === "gpt-5-mini" && r.tier === "priority");
    expect(priority).toMatchObject({ rates: { input_mtok: 0.45, output_mtok: 3.6 } });
    expect(priority!.source).toMatch(/\+table:\d{4}-\d{2}-\d{2}$/);
  });

  it("rejects a bad --at date as a usage error", async () => {
    const { code, stderr } = await cli("prices", "--at", "yesterday-ish");
    expect(code).toBe(2);
    expect(stderr).toMatch(/expected a date/);
  });

  it("--check passes on the demo ledger", async () => {
    const { code, stdout } = await cli("prices", "--check", "--db", demoDb);
    expect(stdout).toMatch(/all \d+ model\(s\) in the ledger have a price/);
    expect(code).toBe(0);
  });

  it("--check names a model without a price and exits 1; an override-priced model passes", async () => {
    const db = join(dir, "unknown.db");
    const sink = openLedger(db, { logger: recordingLogger(), installExitHooks: false });
    sink.write(
      records([
        makeEvent("a", { requestModel: "gpt-4o-mini" }),
        ...["b", "c"].map((id) =>
          makeEvent(id, {
            requestModel: "my-secret-model",
            responseModel: "my-secret-model",
            costMicros: null,
            costSource: "unpriced",
          }),
        ),
        makeEvent("d", {
          requestModel: "negotiated-model",
          responseModel: "negotiated-model",
          costMicros: 5,
          costSource: "override",
        }),
      ]),
    );
    await sink.shutdown();
    const { code, stdout, stderr } = await cli("prices", "--check", "--db", db);
    expect(code).toBe(1);
    expect(stdout).toContain("openai/my-secret-model: 2 events");
    expect(stdout).not.toContain("negotiated-model");
    expect(stdout).not.toContain("gpt-4o-mini");
    expect(stderr).toMatch(/no price/);
  });
});
