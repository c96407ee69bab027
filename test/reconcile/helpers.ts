import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { runCli } from "../../src/cli/program.js";
import { instrument, trackContext } from "../../src/index.js";
import { type MockAdminOptions, type MockProvider, startMockProvider } from "../../src/testing.js";

export const OPENAI_KEY = "sk-admin-test-7f3a9c1e5b";
export const ANTHROPIC_KEY = "sk-ant-admin01-test-4d2e8b6a0c";

export function tempLedger(name = "ledger.db"): string {
  return join(mkdtempSync(join(tmpdir(), "costtrail-reconcile-")), name);
}

export async function adminMock(admin: MockAdminOptions = {}): Promise<MockProvider> {
  return startMockProvider({
    admin: { openaiAdminKey: OPENAI_KEY, anthropicAdminKey: ANTHROPIC_KEY, ...admin },
  });
}

export interface Clients {
  openai: OpenAI;
  anthropic: Anthropic;
}

/** Runs `calls` with costtrail instrumenting real SDK clients against the mock, writing to `db`; flushes. */
export async function tracked(
  mock: MockProvider,
  db: string,
  calls: (c: Clients) => Promise<void>,
): Promise<void> {
  const handle = instrument({ ledger: db, globalInstrumentation: false });
  try {
    await calls(clients(mock));
  } finally {
    await handle.shutdown();
  }
}

/** Clients of the same mock used without costtrail: the provider bills them, the ledger never sees them. */
export function clients(mock: MockProvider): Clients {
  return {
    openai: new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "sk-proj-test", maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "sk-ant-test", maxRetries: 0 }),
  };
}

export async function chat(openai: OpenAI, text: string, model = "gpt-4o-mini"): Promise<void> {
  await openai.chat.completions.create({ model, messages: [{ role: "user", content: text }] });
}

export async function message(
  anthropic: Anthropic,
  text: string,
  model = "claude-sonnet-4-5",
): Promise<void> {
  await anthropic.messages.create({ model, max_tokens: 200, messages: [{ role: "user", content: text }] });
}

export { trackContext };

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in process with the given admin-key environment (restored afterwards). */
export async function cli(env: Record<string, string | undefined>, ...argv: string[]): Promise<Run> {
  const saved: Record<string, string | undefined> = {};
  for (const name of ["OPENAI_ADMIN_KEY", "ANTHROPIC_ADMIN_KEY"]) {
    saved[name] = process.env[name];
    if (name in env && env[name] !== undefined) process.env[name] = env[name];
    else delete process.env[name];
  }
  let stdout = "";
  let stderr = "";
  try {
    const code = await runCli(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    });
    return { code, stdout, stderr };
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
