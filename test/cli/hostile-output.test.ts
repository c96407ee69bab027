// Annotation values are user input: what the CLI prints from them must be safe to open in a spreadsheet and
// safe to print on a terminal, while JSON stays exact (issue 22, items 6 and 7; docs/cli.md).
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { makeEvent } from "../ledger/fixtures/events.js";
import { fixtureLedger } from "../ledger/helpers.js";

const FORMULAS = [
  '=HYPERLINK("http://evil.example","x")',
  "+cmd|' /C calc'!A0",
  "-2+3",
  "@SUM(A1)",
  "\tx",
  "\rx",
];
const ESCAPES = "\u001b[2J\u001b]8;;http://evil.example\u0007link\u001b]8;;\u0007\rover\u009b31m\u202eevil";

const ts = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
const { path: db } = fixtureLedger(
  [
    ...FORMULAS.map((userId, i) =>
      makeEvent(`f${i}`, { ts: ts(10 + i), annotations: { userId, useCaseName: "sheet" } }),
    ),
    makeEvent("plain", { ts: ts(30), annotations: { userId: "-42", useCaseName: "sheet" } }),
    makeEvent("esc", {
      ts: ts(1),
      annotations: { userId: ESCAPES, useCaseName: ESCAPES, useCaseStep: "a\nb" },
    }),
  ],
  "costtrail-hostile-",
);

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe("csv output neutralises formulas (OWASP)", () => {
  it("prefixes every cell starting with = + - @ tab or CR with a quote; plain numbers and json stay exact", async () => {
    const csv = await cli("report", "--by", "user", "--db", db, "--format", "csv");
    expect(csv.code).toBe(0);
    const firstCells = csv.stdout
      .split("\r\n")
      .slice(1)
      .filter(Boolean)
      .map((line) => line.split(",")[0]);
    for (const value of FORMULAS) {
      const quoted = /[\r"]/.test(value) ? `"'${value.replaceAll('"', '""')}"` : `'${value}`;
      expect(csv.stdout).toContain(quoted);
    }
    expect(firstCells).toContain("-42");
    // No line of the csv starts a formula any more.
    for (const cell of firstCells) expect(cell).not.toMatch(/^"?[=+@\t\r]/);

    const json = JSON.parse((await cli("report", "--by", "user", "--db", db, "--format", "json")).stdout);
    const keys = json.rows.map((r: { key: string }) => r.key);
    for (const value of [...FORMULAS, "-42"]) expect(keys).toContain(value);
  });
});

describe("table output escapes control characters", () => {
  it("report and events print ESC, OSC, CR, LF, C1 and bidi controls as visible escapes; json keeps them", async () => {
    for (const argv of [
      ["report", "--by", "user", "--db", db],
      ["report", "--by", "use-case", "--db", db],
      ["events", "--db", db],
    ]) {
      const { code, stdout } = await cli(...argv);
      expect(code).toBe(0);
      // Only the table's own layout: printable text, spaces and line feeds.
      expect(stdout.replaceAll("\n", "")).not.toMatch(/[\p{Cc}\u202e]/u);
      expect(stdout).toContain(
        "\\x1b[2J\\x1b]8;;http://evil.example\\x07link\\x1b]8;;\\x07\\rover\\x9b31m\\u202eevil",
      );
    }
    const events = await cli("events", "--db", db);
    // The LF inside a value does not start a table row of its own.
    expect(events.stdout).toContain("a\\nb");
    expect(events.stdout.trimEnd().split("\n")).toHaveLength(1 + FORMULAS.length + 2);

    const json = JSON.parse((await cli("events", "--db", db, "--format", "json")).stdout);
    const esc = json.find((e: { id: string }) => e.id === "esc");
    expect(esc.annotations).toMatchObject({ userId: ESCAPES, useCaseName: ESCAPES, useCaseStep: "a\nb" });
  });
});
