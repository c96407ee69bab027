import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/index.js";
import { tempDir } from "../ledger/helpers.js";
import { cli } from "../limits/helpers.js";

// Bad flags of the value commands: exit 2 and one line naming the flag, never a silently empty report.
const db = join(tempDir("costtrail-kpis-input-"), "ledger.db");
beforeAll(async () => {
  await instrument({ ledger: db, globalInstrumentation: false }).shutdown();
});

const LONG = "x".repeat(513);

describe("value commands: bad input names the flag", () => {
  it.each([
    [["kpis", "--by", "model"], /^costtrail: option '--by <key>' argument 'model' is invalid/],
    [["kpis", "--since", "yesterday"], /^costtrail: option '--since <when>' argument 'yesterday' is invalid/],
    [
      ["kpis", "--until", "2025-13-45"],
      /^costtrail: option '--until <when>' argument '2025-13-45' is invalid/,
    ],
    [
      ["kpis", "--since", "2026-01-02", "--until", "2026-01-01"],
      /^costtrail: --until: must be after --since$/,
    ],
    [
      ["kpis", "--use-case", ""],
      /^costtrail: option '--use-case <name>' argument '' is invalid\. must not be empty$/,
    ],
    [
      ["kpis", "--use-case", LONG],
      /^costtrail: option '--use-case <name>' argument 'x+' is invalid\. must be at most 512/,
    ],
    [["kpis", "--format", "xml"], /^costtrail: option '--format <format>' argument 'xml' is invalid/],
    [
      ["report", "--by", "instance", "--use-case", ""],
      /^costtrail: option '--use-case <name>'.* must not be empty$/,
    ],
    [
      ["report", "--by", "version", "--since", "2d", "--until", "3d"],
      /^costtrail: --until: must be after --since$/,
    ],
    [
      ["report", "--forecast", "--use-case", LONG],
      /^costtrail: option '--use-case <name>'.* must be at most 512/,
    ],
    [["report", "--forecast", "--format", "csv"], /^costtrail: --forecast prints a table or json, not csv$/],
    [
      ["whatif", "--model", "gpt-4o-mini", "--use-case", ""],
      /^costtrail: option '--use-case <name>'.* must not be empty$/,
    ],
    [
      ["whatif", "--model", "gpt-4o-mini", "--use-case", "docs", "--until", "30d"],
      /^costtrail: --until: must be after --since$/,
    ],
    [
      ["whatif", "--model", "gpt-4o-mini", "--use-case", "docs", "--format", "csv"],
      /^costtrail: option '--format <format>'/,
    ],
  ])("%j", async (argv, message) => {
    const r = await cli(...argv, "--db", db);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.trimEnd()).toMatch(message);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });
});
