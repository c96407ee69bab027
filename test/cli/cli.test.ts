import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { openLedger } from "../../src/ledger/ledger-sink.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { recordingLogger, records, tempDir } from "../ledger/helpers.js";
import { parseCsv } from "../support/csv.js";

const dir = tempDir("costtrail-cli-");
const db = join(dir, "ledger.db");
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

beforeAll(async () => {
  const now = Date.now();
  const ts = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const sink = openLedger(db, { logger: recordingLogger(), installExitHooks: false });
  sink.write(
    records([
      makeEvent("c1", {
        ts: ts(5),
        usage: { inputTokens: 1_200, outputTokens: 300 },
        costMicros: 2_500_000,
        annotations: { userId: "alice", useCaseName: "support", useCaseId: "i-1", requestTags: ["beta"] },
      }),
      makeEvent("c2", {
        ts: ts(4),
        status: "error",
        costMicros: 1_234,
        annotations: { userId: 'bob "the, builder"', useCaseName: "support", useCaseId: "i-2" },
      }),
      makeEvent("c3", {
        ts: ts(3),
        costMicros: null,
        costSource: "unpriced",
        requestModel: "my-finetune",
        annotations: { useCaseName: "search", useCaseId: "i-3" },
      }),
      makeEvent("old", {
        ts: ts(60 * 24 * 10),
        costMicros: 9_000_000,
        annotations: { userId: "carol", useCaseName: "search", useCaseId: "i-4" },
      }),
    ]),
  );
  await sink.shutdown();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe("costtrail report", () => {
  it("prints an aligned table with a totals line", async () => {
    const { code, stdout, stderr } = await cli("report", "--by", "user", "--db", db);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^user\s+requests\s+errors\s+input tokens\s+output tokens\s+cost USD\s+unpriced$/,
    );
    expect(lines[1]).toMatch(/^carol\s+1\s+0\s+100\s+20\s+9\.000000\s+0$/);
    expect(lines[2]).toMatch(/^alice\s+1\s+0\s+1,200\s+300\s+2\.500000\s+0$/);
    expect(lines[3]).toMatch(/^bob "the, builder"\s+1\s+1\s+100\s+20\s+0\.001234\s+0$/);
    expect(lines[4]).toMatch(/^\(none\)\s+1\s+0\s+100\s+20\s+0\.000000\s+1$/);
    expect(lines[5]).toMatch(/^-+( +-+)+$/);
    expect(lines[6]).toMatch(/^total\s+4\s+1\s+1,500\s+360\s+11\.501234\s+1$/);
    expect(lines[7]).toBe("note: 1 event has no known price and is not in cost USD");
    // Cost right-aligned: every cost cell ends in the same column.
    const costEnds = lines.slice(1, 5).map((l) => l.search(/\d\.\d{6}/) + l.match(/\d+\.\d{6}/)![0].length);
    expect(new Set(costEnds).size).toBe(1);
  });

  it("prints json with the resolved range", async () => {
    const { code, stdout } = await cli(
      "report",
      "--by",
      "use-case",
      "--db",
      db,
      "--since",
      "24h",
      "--format",
      "json",
    );
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout);
    expect(parsed.by).toBe("use-case");
    expect(Date.parse(parsed.since)).toBeGreaterThan(Date.now() - 25 * 3_600_000);
    expect(parsed.until).toBeNull();
    expect(parsed.rows.map((r: { key: string }) => r.key)).toEqual(["support", "search"]);
    expect(parsed.rows[0]).toEqual({
      key: "support",
      requests: 2,
      errors: 1,
      blocked: 0,
      inputTokens: 1_300,
      outputTokens: 320,
      costNanos: "2501234000",
      costMicros: 2_501_234,
      costUsd: 2.501234,
      estimatedNanos: "0",
      unpriced: 0,
    });
    expect(parsed.totals.requests).toBe(3);
  });

  it("prints RFC 4180 csv with a header row", async () => {
    const { code, stdout } = await cli("report", "--by", "user", "--db", db, "--format", "csv");
    expect(code).toBe(0);
    expect(stdout).toContain('"bob ""the, builder"""');
    expect(parseCsv(stdout)).toEqual([
      [
        "user",
        "requests",
        "errors",
        "blocked",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "cost_micros",
        "cost_nanos",
        "unpriced",
        "estimated_nanos",
      ],
      ["carol", "1", "0", "0", "100", "20", "9.000000", "9000000", "9000000000", "0", "0"],
      ["alice", "1", "0", "0", "1200", "300", "2.500000", "2500000", "2500000000", "0", "0"],
      ['bob "the, builder"', "1", "1", "0", "100", "20", "0.001234", "1234", "1234000", "0", "0"],
      ["", "1", "0", "0", "100", "20", "0.000000", "0", "0", "1", "0"],
    ]);
  });

  it("shows the use case of each instance, filters by use case and by time", async () => {
    const { stdout } = await cli(
      "report",
      "--by",
      "instance",
      "--db",
      db,
      "--use-case",
      "support",
      "--format",
      "csv",
    );
    expect(parseCsv(stdout).map((r) => r.slice(0, 3))).toEqual([
      ["instance", "use_case", "requests"],
      ["i-1", "support", "1"],
      ["i-2", "support", "1"],
    ]);
    const table = await cli("report", "--by", "instance", "--db", db, "--until", "7d");
    expect(table.stdout.split("\n")[0]).toMatch(/^instance\s+use case\s+requests/);
    expect(table.stdout).toMatch(/^i-4\s+search\s+1\s/m);
    expect(table.stdout).toMatch(/^total\s+1\s/m);
  });

  it("groups by tag", async () => {
    const { stdout } = await cli("report", "--by", "tag", "--db", db, "--format", "json");
    expect(
      JSON.parse(stdout).rows.map((r: { key: string | null; requests: number }) => [r.key, r.requests]),
    ).toEqual([
      [null, 3],
      ["beta", 1],
    ]);
  });
});

describe("costtrail events", () => {
  it("prints the last events as json and as a table", async () => {
    const json = await cli("events", "--tail", "2", "--db", db, "--format", "json");
    expect(json.code).toBe(0);
    const events = JSON.parse(json.stdout);
    expect(events.map((e: { id: string }) => e.id)).toEqual(["c2", "c3"]);
    expect(events[1]).toMatchObject({
      costMicros: null,
      costSource: "unpriced",
      annotations: { useCaseName: "search" },
    });

    const table = await cli("events", "--db", db);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^time\s+provider\s+model\s+status/);
    expect(lines[4]).toMatch(/unpriced\s+search/);
  });
});

describe("usage errors", () => {
  const missing = join(dir, "nowhere", "ledger.db");
  const cases: [string, string[], RegExp][] = [
    ["unknown flag", ["report", "--by", "user", "--colour", "red", "--db", db], /unknown option '--colour'/],
    ["unknown command", ["reprot"], /unknown command 'reprot'/],
    ["no command", [], /missing command/],
    ["bad --by", ["report", "--by", "weather", "--db", db], /'weather' is invalid.*user, use-case/],
    ["missing --by", ["report", "--db", db], /--by <key>' not specified/],
    ["bad --since", ["report", "--by", "user", "--since", "7x", "--db", db], /invalid time "7x"/],
    ["bad --until", ["report", "--by", "user", "--until", "tomorrow", "--db", db], /invalid time "tomorrow"/],
    ["bad --format", ["report", "--by", "user", "--format", "xml", "--db", db], /'xml' is invalid/],
    ["bad --tail", ["events", "--tail", "-3", "--db", db], /--tail/],
    ["missing database", ["report", "--by", "user", "--db", missing], /no ledger at .*nowhere/],
    ["missing database (events)", ["events", "--db", missing], /no ledger at/],
  ];
  for (const [name, argv, message] of cases) {
    it(`${name}: one line on stderr, exit 2`, async () => {
      const { code, stdout, stderr } = await cli(...argv);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toMatch(/^costtrail: [^\n]+\n$/);
      expect(stderr).toMatch(message);
    });
  }

  it("a file that is not a ledger is a usage error too", async () => {
    const junk = join(dir, "junk.db");
    writeFileSync(junk, "hello");
    const { code, stderr } = await cli("report", "--by", "user", "--db", junk);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^costtrail: [^\n]+\n$/);
  });

  it("--help exits 0 with usage on stdout", async () => {
    for (const argv of [["--help"], ["report", "--help"], ["help", "events"]]) {
      const { code, stdout, stderr } = await cli(...argv);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: costtrail/);
      expect(stderr).toBe("");
    }
    expect((await cli("report", "--help")).stdout).toContain("--by <key>");
  });
});

describe("the bin", () => {
  const bin = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "src/cli/bin.ts", ...args], {
      cwd: ROOT,
      encoding: "utf8",
    });

  it("runs report as a child process", () => {
    const ok = bin("report", "--by", "user", "--db", db, "--format", "json");
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).totals.requests).toBe(4);

    const bad = bin("report", "--by", "user", "--db", join(dir, "absent.db"));
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^costtrail: no ledger at [^\n]+\n$/);
  });
});
