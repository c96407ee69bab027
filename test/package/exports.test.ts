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

// Loading is not enough: a CommonJS app (as compiled NestJS apps are) uses what it required — instrument() patches
// the SDK it require()s, `track` from costtrail/decorators decorates a method the way TypeScript's CommonJS output
// applies legacy decorators (`__decorate`), and costtrail/testing's mock serves the call.
it("a CommonJS app uses costtrail, costtrail/decorators and costtrail/testing through require()", async () => {
  project.write(
    "app.cjs",
    `"use strict";
     const { instrument, trackContext } = require("costtrail");
     const { track } = require("costtrail/decorators");
     const { startMockProvider } = require("costtrail/testing");
     const OpenAI = require("openai");
     const Anthropic = require("@anthropic-ai/sdk");
     var __decorate = function (decorators, target, key, desc) {
       var c = arguments.length, r = c < 3 ? target : desc === null ? (desc = Object.getOwnPropertyDescriptor(target, key)) : desc, d;
       for (var i = decorators.length - 1; i >= 0; i--) if ((d = decorators[i])) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
       return c > 3 && r && Object.defineProperty(target, key, r), r;
     };
     class Summaries {
       constructor(client) { this.client = client; }
       summarize(text) {
         return this.client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: text }] });
       }
     }
     __decorate([track({ useCaseName: "summarize" })], Summaries.prototype, "summarize", null);
     (async () => {
       const mock = await startMockProvider();
       const events = [];
       const costtrail = instrument({ ledger: false, onEvent: (e) => events.push(e) });
       const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0 });
       const anthropic = new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "test", maxRetries: 0 });
       await new Summaries(openai).summarize("a CommonJS app");
       await trackContext({ userId: "u-cjs" }, () =>
         anthropic.messages.create({ model: "claude-haiku-4-5", max_tokens: 20, messages: [{ role: "user", content: "hi" }] }),
       );
       await costtrail.flush();
       process.stdout.write(JSON.stringify({
         events: events.map((e) => [e.provider, e.status, e.annotations.useCaseName ?? null, e.annotations.userId ?? null]),
         usage: events.map((e) => e.usage.outputTokens),
         mock: mock.requests.map((r) => r.usage.outputTokens),
       }));
       await costtrail.shutdown();
       await mock.close();
     })();`,
  );
  const { stdout, stderr } = await project.node(["app.cjs"]);
  const result = JSON.parse(stdout);
  expect(result.events).toEqual([
    ["openai", "ok", "summarize", null],
    ["anthropic", "ok", "app", "u-cjs"],
  ]);
  expect(result.usage).toEqual(result.mock);
  expect(stderr).toBe(""); // no warning about loading ES modules through require()
}, 60_000);
