import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UsageEvent } from "../../src/index.js";
import { type MockProvider, startMockProvider } from "../../src/testing.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
});
afterAll(() => mock.close());

/** Runs examples/script/main.ts as its own process against the mock; resolves with its exit code and output. */
function runScript(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "examples/script/main.ts"], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("examples/script: a nightly job with global instrumentation", () => {
  it("attributes every call to the run's instance, with steps, users and per-request tags", async () => {
    const { code, stdout, stderr } = await runScript({
      OPENAI_API_KEY: "test",
      OPENAI_BASE_URL: mock.openaiBaseURL,
      ANTHROPIC_API_KEY: "test",
      ANTHROPIC_BASE_URL: mock.anthropicBaseURL,
      COSTTRAIL_PRINT_EVENTS: "1",
      COSTTRAIL_LEDGER: "off",
    });
    expect(code, stderr).toBe(0);
    const events = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as UsageEvent);

    // Every call went to the mock (the script started none of its own), and each is one event.
    expect(mock.requests.map((r) => `${r.provider}:${r.operation}`)).toEqual([
      "openai:chat",
      "openai:chat",
      "anthropic:messages",
      "anthropic:messages",
      "openai:embeddings",
    ]);
    expect(events.map((e) => [e.provider, e.operation, e.stream, e.status])).toEqual([
      ["openai", "chat", false, "ok"],
      ["openai", "chat", true, "ok"],
      ["anthropic", "messages", false, "ok"],
      ["anthropic", "messages", false, "ok"],
      ["openai", "embeddings", false, "ok"],
    ]);
    expect(events.map((e) => e.usage)).toEqual(mock.requests.map((r) => r.usage));

    // The root scope (defaults) under everything: one nightly-digest instance for the whole run.
    const instance = events[0]?.annotations.useCaseId;
    expect(instance).toMatch(/^[0-9a-f-]{36}$/);
    for (const event of events) {
      expect(event.annotations).toMatchObject({
        accountName: "internal",
        useCaseName: "nightly-digest",
        useCaseId: instance,
      });
    }
    expect(events.map((e) => [e.annotations.useCaseStep, e.annotations.userId])).toEqual([
      ["summarize", undefined], // @track on DigestWriter.summarize
      ["title", undefined], // @track on DigestWriter.title (streamed)
      ["personalize", "alice"], // trackContext({ userId })
      ["personalize", "bob"],
      ["index", undefined], // createHeaders on the one call
    ]);
    expect(events.map((e) => e.annotations.requestTags)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      ["search-index"],
    ]);
    // The streamed call: the user saw the stream, the event still has the mock's usage and a TTFT.
    expect(events[1]?.ttftMs).toBeGreaterThanOrEqual(0);
    // costtrail headers never leave the process.
    for (const request of mock.requests) {
      expect(Object.keys(request.headers).filter((h) => h.startsWith("x-costtrail-"))).toEqual([]);
    }
  });
});
