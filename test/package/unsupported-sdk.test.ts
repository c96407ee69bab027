// Issue 18, declared support: an installed SDK outside the range its provider declares (here the real openai
// SDK, installed as if it were 8.0.0) makes instrument() say so once through the logger — not again when it
// is called again — and its calls are still recorded (costtrail does its best).
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { freshProject } from "./fresh-project.js";

const project = freshProject({ type: "module" });

beforeAll(() => {
  const installed = join(project.dir, "node_modules/openai");
  const real = new URL("../../node_modules/openai/", import.meta.url).pathname;
  rmSync(installed, { recursive: true, force: true }); // the fresh project's link to the repo's copy
  cpSync(real, installed, { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
  writeFileSync(join(installed, "package.json"), JSON.stringify({ ...manifest, version: "8.0.0" }));
}, 60_000);

it("an openai outside the declared range: one clear warning, its calls still recorded", async () => {
  project.write(
    "app.mjs",
    `import OpenAI from "openai";
     import { instrument } from "costtrail";
     import { startMockProvider } from "costtrail/testing";
     const lines = [];
     const events = [];
     const logger = { warn: (m) => lines.push(m), error: (m) => lines.push("error: " + m) };
     const mock = await startMockProvider();
     const config = { ledger: false, globalInstrumentation: false, logger, onEvent: (e) => events.push(e) };
     instrument(config);
     const costtrail = instrument(config); // reconfigured: still said once
     const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0 });
     await openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
     await costtrail.flush();
     process.stdout.write(JSON.stringify({
       lines,
       events: events.map((e) => [e.provider, e.status, e.usage.outputTokens]),
       mock: mock.requests.map((r) => r.usage.outputTokens),
     }));
     await costtrail.shutdown();
     await mock.close();`,
  );
  const result = JSON.parse((await project.node(["app.mjs"])).stdout);
  const versionLines = result.lines.filter((l: string) => l.includes("outside the versions"));
  expect(versionLines).toEqual([
    expect.stringMatching(
      /^openai@8\.0\.0 is outside the versions costtrail supports \(>=5\.0\.0 <8\.0\.0\)/,
    ),
  ]);
  expect(result.lines.filter((l: string) => l.startsWith("error"))).toEqual([]);
  expect(result.events).toEqual([["openai", "ok", result.mock[0]]]);
}, 60_000);
