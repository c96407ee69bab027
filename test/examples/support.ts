/**
 * Shared load test for the document-generator examples (Express, Fastify, Hono, NestJS).
 *
 * The oracle does not trust costtrail's annotations to say which HTTP request caused an event: every request
 * the test sends carries a marker `[req N]` in its prompt / text, and the mock provider reports
 * `STAMP + N` output tokens for the provider call whose body contains it. An event's usage comes from the
 * provider's response to exactly that call, so `event.usage.outputTokens - STAMP` names the request that
 * caused it, whatever its annotations say. Then every event's annotations are checked against that request.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { expect } from "vitest";
import type { LlmClients } from "../../examples/shared/documents.js";
import { type Instrumentation, instrument, type UsageEvent } from "../../src/index.js";
import { type MockProvider, startMockProvider } from "../../src/testing.js";

export const USERS = 20;
export const CONCURRENT_REQUESTS = 200;
/** Documents each user creates before the concurrent wave (the targets of its appends). */
export const DOCUMENTS_PER_USER = 2;

const STAMP = 1_000_000;
const MARKER = /\[req (\d+)\]/g;

export interface SentRequest {
  n: number;
  user: string;
  kind: "create" | "append";
  /** The document appended to (append), or created (create, once answered). */
  documentId?: string;
}

export interface ExampleEnv {
  mock: MockProvider;
  clients: LlmClients;
  events: UsageEvent[];
  costtrail: Instrumentation;
  /** Flushes costtrail and waits (bounded) until `n` events arrived; returns them. */
  settle(n: number): Promise<UsageEvent[]>;
  close(): Promise<void>;
}

/** The mock provider (stamping output tokens, see above), costtrail as a web server sets it up, and clients. */
export async function startExampleEnv(): Promise<ExampleEnv> {
  const mock = await startMockProvider({
    usage: (req) => {
      const marks = [...JSON.stringify(req.body ?? "").matchAll(MARKER)];
      const last = marks.at(-1);
      return last ? { outputTokens: STAMP + Number(last[1]) } : {};
    },
  });
  const events: UsageEvent[] = [];
  const costtrail = instrument({
    globalInstrumentation: false,
    ledger: false,
    onEvent: (event) => events.push(event),
  });
  await costtrail.ready;
  const clients: LlmClients = {
    openai: new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: "test", maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: "test", maxRetries: 0 }),
  };
  return {
    mock,
    clients,
    events,
    costtrail,
    async settle(n) {
      await costtrail.flush();
      for (let i = 0; i < 500 && events.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      return events;
    },
    async close() {
      await costtrail.shutdown();
      await mock.close();
    },
  };
}

const userName = (u: number) => `user-${String(u).padStart(2, "0")}`;

async function post(url: string, user: string, body: unknown): Promise<{ id: string; content: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-user-id": user },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} as ${user}: ${response.status} ${text}`);
  return JSON.parse(text) as { id: string; content: string };
}

/**
 * Drives the document generator at `baseUrl` the way 20 users would: each creates its documents, then 200
 * requests run at once (per user: half creates, half appends to its own documents). Returns every request
 * sent, indexed by its marker number.
 */
export async function driveDocumentLoad(baseUrl: string): Promise<SentRequest[]> {
  const sent: SentRequest[] = [];
  const create = async (user: string) => {
    const request: SentRequest = { n: sent.length, user, kind: "create" };
    sent.push(request);
    const doc = await post(`${baseUrl}/documents`, user, { prompt: `[req ${request.n}] a poem for ${user}` });
    request.documentId = doc.id;
    return doc.id;
  };
  const append = async (user: string, documentId: string) => {
    const request: SentRequest = { n: sent.length, user, kind: "append", documentId };
    sent.push(request);
    const doc = await post(`${baseUrl}/documents/${encodeURIComponent(documentId)}/append`, user, {
      text: `[req ${request.n}] one more line by ${user}`,
    });
    if (doc.id !== documentId) throw new Error(`append to ${documentId} answered ${doc.id}`);
  };

  const documentsOf = new Map<string, string[]>();
  await Promise.all(
    Array.from({ length: USERS * DOCUMENTS_PER_USER }, async (_, i) => {
      const user = userName(i % USERS);
      const id = await create(user);
      documentsOf.set(user, [...(documentsOf.get(user) ?? []), id]);
    }),
  );

  await Promise.all(
    Array.from({ length: CONCURRENT_REQUESTS }, (_, i) => {
      const user = userName(i % USERS);
      const round = Math.floor(i / USERS); // 0..9 for each user: even rounds create, odd rounds append
      if (round % 2 === 0) return create(user);
      const docs = documentsOf.get(user)!;
      return append(user, docs[Math.floor(round / 2) % docs.length]!);
    }),
  );
  return sent;
}

/** Every way the events disagree with the requests that caused them; empty when attribution is exact. */
export function misattributions(events: readonly UsageEvent[], sent: readonly SentRequest[]): string[] {
  const problems: string[] = [];
  const seen = new Map<number, number>();
  const createInstances = new Map<string, number>();
  for (const event of events) {
    const n = event.usage.outputTokens - STAMP;
    const request = sent[n];
    const a = event.annotations;
    if (!request) {
      problems.push(
        `event ${event.id} cannot be traced to a request (outputTokens ${event.usage.outputTokens})`,
      );
      continue;
    }
    seen.set(n, (seen.get(n) ?? 0) + 1);
    const where = `req ${n} (${request.kind} by ${request.user})`;
    if (event.status !== "ok") problems.push(`${where}: status ${event.status}`);
    if (a.userId !== request.user) problems.push(`${where}: userId ${String(a.userId)}`);
    if (request.kind === "create") {
      if (event.provider !== "openai") problems.push(`${where}: provider ${event.provider}`);
      if (a.useCaseName !== "create_document")
        problems.push(`${where}: useCaseName ${String(a.useCaseName)}`);
      if (!a.useCaseId) problems.push(`${where}: no useCaseId`);
      else createInstances.set(a.useCaseId, (createInstances.get(a.useCaseId) ?? 0) + 1);
    } else {
      if (event.provider !== "anthropic") problems.push(`${where}: provider ${event.provider}`);
      if (a.useCaseName !== "append_document")
        problems.push(`${where}: useCaseName ${String(a.useCaseName)}`);
      if (a.useCaseId !== request.documentId)
        problems.push(`${where}: useCaseId ${String(a.useCaseId)}, expected ${request.documentId}`);
    }
  }
  for (const request of sent) {
    const count = seen.get(request.n) ?? 0;
    if (count !== 1) problems.push(`req ${request.n} (${request.kind} by ${request.user}): ${count} events`);
  }
  for (const [id, count] of createInstances) {
    if (count > 1) problems.push(`create_document instance ${id} shared by ${count} requests`);
  }
  return problems;
}

/** The number of requests `driveDocumentLoad` sends. */
export const TOTAL_REQUESTS = USERS * DOCUMENTS_PER_USER + CONCURRENT_REQUESTS;

/** Drives the document load at `baseUrl` and checks every event landed on its own request's user and use case. */
export async function expectNoMisattribution(env: ExampleEnv, baseUrl: string): Promise<UsageEvent[]> {
  const sent = await driveDocumentLoad(baseUrl);
  const events = await env.settle(TOTAL_REQUESTS);
  expect(misattributions(events, sent)).toEqual([]);
  expect(events).toHaveLength(TOTAL_REQUESTS);
  return events;
}
