// Issue 18 item 1: every entry of the exports map loads through require() (a CommonJS app, Node ≥ 20.19's
// require(esm)) and through import, and both give the very same module (no dual-package copies).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { freshProject } from "./fresh-project.js";

const ENTRIES = Object.keys(
  (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { exports: object })
    .exports,
)
  .filter((e) => e !== "./package.json")
  .map((e) => e.replace(/^\./, "costtrail"));

const project = freshProject({ type: "commonjs" });

it("the exports map lists the public entries", () => {
  expect(ENTRIES).toEqual([
    "costtrail",
    "costtrail/decorators",
    "costtrail/otel",
    "costtrail/langchain",
    "costtrail/testing",
  ]);
});

it("every entry loads through require() in a CommonJS project and through import in an ES module", async () => {
  project.write(
    "load.cjs",
    `const entries = ${JSON.stringify(ENTRIES)};
     (async () => {
       const out = {};
       for (const entry of entries) {
         const required = require(entry);
         const imported = await import(entry);
         out[entry] = {
           keys: Object.keys(required).sort(),
           importKeys: Object.keys(imported).filter((k) => k !== "default" && k !== "module.exports").sort(),
           same: Object.keys(required).every((k) => required[k] === imported[k]),
         };
       }
       process.stdout.write(JSON.stringify(out));
     })();`,
  );
  project.write(
    "load.mjs",
    `const out = {};
     for (const entry of ${JSON.stringify(ENTRIES)}) out[entry] = Object.keys(await import(entry)).sort();
     process.stdout.write(JSON.stringify(out));`,
  );
  const cjs = JSON.parse((await project.node(["load.cjs"])).stdout) as Record<
    string,
    { keys: string[]; importKeys: string[]; same: boolean }
  >;
  const esm = JSON.parse((await project.node(["load.mjs"])).stdout) as Record<string, string[]>;
  for (const entry of ENTRIES) {
    expect(cjs[entry]!.keys.length, entry).toBeGreaterThan(0);
    expect(cjs[entry]!.keys, entry).toEqual(cjs[entry]!.importKeys);
    expect(cjs[entry]!.same, `${entry}: require and import give the same bindings`).toBe(true);
    expect(esm[entry], entry).toEqual(cjs[entry]!.keys);
  }
  expect(cjs["costtrail"]!.keys).toEqual(
    expect.arrayContaining(["instrument", "track", "LimitExceededError"]),
  );
  expect(cjs["costtrail/testing"]!.keys).toContain("startMockProvider");
}, 60_000);
