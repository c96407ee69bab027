// Issue 15 item 6: a fresh project imports `costtrail/testing` (types and code) and tests its own instrumented
// OpenAI call against the mock, as docs/testing.md shows.
import { expect, it } from "vitest";
import { freshProject } from "./fresh-project.js";

const project = freshProject({ type: "module" });

const APP = `
import OpenAI from "openai";
import { instrument, trackContext, type UsageEvent } from "costtrail";
import { startMockProvider, type MockProvider } from "costtrail/testing";

const mock: MockProvider = await startMockProvider();
const events: UsageEvent[] = [];
const costtrail = instrument({ ledger: false, onEvent: (event) => events.push(event) });
const openai = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test" });
await trackContext({ useCaseName: "summarize", userId: "u-1" }, () =>
  openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Summarize: a fresh project" }] }),
);
await costtrail.flush();
const request = mock.requests[0];
process.stdout.write(JSON.stringify({
  events: events.map((e) => ({ status: e.status, provider: e.provider, useCase: e.annotations.useCaseName, user: e.annotations.userId, input: e.usage.inputTokens, output: e.usage.outputTokens, priced: (e.costMicros ?? 0) > 0 })),
  requests: mock.requests.length,
  usage: request?.usage,
  costtrailHeaders: Object.keys(request?.headers ?? {}).filter((h) => h.startsWith("x-costtrail-")),
}));
await costtrail.shutdown();
await mock.close();
`;

it("type-checks and runs an instrumented OpenAI call against startMockProvider() from costtrail/testing", async () => {
  project.write("app.mts", APP);
  project.write(
    "tsconfig.json",
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        outDir: "out",
        skipLibCheck: true,
        types: ["node"],
      },
      files: ["app.mts"],
    }),
  );
  await project.tsc(["-p", "tsconfig.json"]);
  const { stdout } = await project.node(["out/app.mjs"]);
  const result = JSON.parse(stdout);
  expect(result.requests).toBe(1);
  expect(result.costtrailHeaders).toEqual([]);
  expect(result.events).toEqual([
    {
      status: "ok",
      provider: "openai",
      useCase: "summarize",
      user: "u-1",
      input: result.usage.inputTokens,
      output: result.usage.outputTokens,
      priced: true,
    },
  ]);
  expect(result.usage.inputTokens).toBeGreaterThan(0);
}, 60_000);
