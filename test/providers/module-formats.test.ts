import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type MockProvider, startMockProvider } from "../../src/testing.js";

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(() => mock.close());

it("tracks an app's require()d CommonJS SDKs and its import()ed ESM SDKs alike (child process, tsx)", async () => {
  const app = new URL("../fixtures/module-format-app.ts", import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", app], {
    env: { ...process.env, MOCK_URL: mock.url },
  });
  expect(JSON.parse(stdout)).toEqual(["openai:ok", "anthropic:ok", "openai:ok", "anthropic:ok"]);
  expect(mock.requests).toHaveLength(4);
});
