// Issue 22 item 1: reservations bound overshoot. Tools-heavy requests through the real SDKs against the mock
// provider: every reservation covers what the call is billed, so 50 concurrent calls stay within a block limit,
// on a SQLite ledger and on the fleet's Postgres alike (docs/limits.md, "The bound").
import { join } from "node:path";
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createHeaders,
  type LimitDefinition,
  LimitExceededError,
  type PriceOverride,
  type UsageEvent,
} from "../../src/index.js";
import type { ReserveRequest } from "../../src/limits/gate.js";
import { getRuntime } from "../../src/runtime.js";
import { createHarness, type Harness } from "../support/harness.js";
import { recordingLogger, tempDir } from "./helpers.js";
import { createTestDatabase, type TestDatabase } from "./postgres/database.js";

let h: Harness;
let pgdb: TestDatabase;
const dir = tempDir("costtrail-overshoot-");
let n = 0;

beforeAll(async () => {
  h = await createHarness();
  pgdb = await createTestDatabase();
});
afterEach(() => h.stop());
afterAll(async () => {
  await h.mock.close();
  await pgdb.drop();
});

const MODEL = "gpt-4o-mini";
const CLAUDE = "claude-sonnet-4-5";
const BEDROCK_CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
// $0.15 / $0.60 per million tokens: a 20 KB tools array is ≈ 5,000 input tokens ≈ $0.00075.
const PRICES: PriceOverride[] = [MODEL, CLAUDE, BEDROCK_CLAUDE].map((model) => ({
  model,
  inputPerMTok: 0.15,
  outputPerMTok: 0.6,
}));
const MAX_TOKENS = 100;

/** A 20 KB array of function tools with JSON-schema parameters, as agent frameworks send. */
function schemas(): { name: string; description: string; parameters: Record<string, unknown> }[] {
  const out = [];
  for (let i = 0; JSON.stringify(out).length < 20_000; i++) {
    out.push({
      name: `lookup_record_${i}`,
      description: `Looks up record kind ${i} in the billing system by its identifier and returns its fields.`,
      parameters: {
        type: "object",
        properties: {
          id: { type: "string", description: "The record identifier, as printed on the invoice." },
          fields: { type: "array", items: { type: "string", enum: ["amount", "currency", "due", "owner"] } },
          strict: { type: "boolean", description: "Fail when the record is archived." },
        },
        required: ["id"],
      },
    });
  }
  return out;
}
const TOOLS = schemas();
const openaiTools = TOOLS.map((t) => ({ type: "function" as const, function: t }));

function spyReservations(): ReserveRequest[] {
  const seen: ReserveRequest[] = [];
  const gate = getRuntime()!.limits!;
  const reserve = gate.reserve.bind(gate);
  gate.reserve = (request) => {
    seen.push(request);
    return reserve(request);
  };
  return seen;
}

const nanosOf = (e: UsageEvent) => e.costNanos ?? 0;
const headers = (id: string) => ({ headers: createHeaders({ limitIds: [id] }) });

describe.each([
  ["SQLite", () => join(dir, `ledger-${n++}.db`)],
  ["Postgres", () => pgdb.url],
])("tools-heavy calls on a %s ledger", (_kind, ledgerFor) => {
  it("50 concurrent calls with a 20 KB tools array spend at most the $0.01 limit", async () => {
    const ledger = ledgerFor();
    const limit: LimitDefinition = { id: `tools-${n++}`, maxUsd: 0.01, window: "day", mode: "block" };
    const handle = h.start({ ledger, limits: [limit], prices: PRICES, logger: recordingLogger() });
    const reservations = spyReservations();
    const client = h.openai();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        client.chat.completions.create(
          {
            model: MODEL,
            messages: [
              { role: "system", content: "You answer billing questions." },
              { role: "user", content: `Question ${i}: which invoices are overdue?` },
            ],
            tools: openaiTools,
            tool_choice: "none",
            max_tokens: MAX_TOKENS,
          },
          headers(limit.id),
        ),
      ),
    );
    const events = await h.eventsSettled(50);
    await handle.flush();
    const ok = events.filter((e) => e.status === "ok");
    const blocked = results.filter((r) => r.status === "rejected");
    expect(blocked.every((r) => (r as PromiseRejectedResult).reason instanceof LimitExceededError)).toBe(
      true,
    );
    expect(ok.length + blocked.length).toBe(50);
    expect(ok.length).toBeGreaterThan(0);
    expect(blocked.length).toBeGreaterThan(0);
    expect(h.mock.requests).toHaveLength(ok.length);

    // Each reservation covers what its call was billed (the estimate error of one call is ≤ 0 here)...
    const smallestReservation = Math.min(...reservations.map((r) => r.reserveNanos!));
    const largestCost = Math.max(...ok.map(nanosOf));
    expect(smallestReservation).toBeGreaterThanOrEqual(largestCost);
    // ... so the documented bound, limit + N × (cost − reservation), is the limit itself.
    const spent = ok.reduce((a, e) => a + nanosOf(e), 0);
    expect(spent).toBeLessThanOrEqual(10_000_000);
    // The limit's store counted exactly what the calls cost: nano-USD on Postgres, on SQLite micro-USD with
    // each call's cost rounded up (as its event's costMicros).
    const expected = ledger.startsWith("postgres")
      ? spent
      : ok.reduce((a, e) => a + (e.costMicros ?? 0) * 1000, 0);
    await expect.poll(() => storedSpend(ledger, limit.id), { timeout: 10_000 }).toBe(expected);
  });
});

async function storedSpend(ledger: string, id: string): Promise<number> {
  if (ledger.startsWith("postgres")) {
    const rows = await pgdb.query(
      "SELECT coalesce(sum(spent_nanos), 0)::text AS s FROM costtrail_limit_windows WHERE limit_id = $1",
      [id],
    );
    return Number(rows[0].s);
  }
  const db = new Database(ledger, { readonly: true });
  try {
    // The SQLite engine keeps micro-USD, each call's cost rounded up.
    const micros = db
      .prepare("SELECT coalesce(sum(spent_micros), 0) FROM limit_spend WHERE limit_id = ?")
      .pluck()
      .get(id) as number;
    return micros * 1000;
  } finally {
    db.close();
  }
}

describe("the estimate covers everything billed as input", () => {
  // One tools-heavy request per API: the reservation (priced estimate + max output) is at least the call's
  // billed cost, by the mock's token rules (tools, schemas, system, tool results all count).
  async function reservedAndBilled(call: () => Promise<unknown>) {
    const limit: LimitDefinition = { id: `est-${n++}`, maxUsd: 10, window: "day", mode: "block" };
    h.start({ ledger: false, limits: [limit], prices: PRICES, defaults: { limitIds: [limit.id] } });
    const reservations = spyReservations();
    await call();
    const [event] = await h.eventsSettled(1);
    expect(event?.status).toBe("ok");
    return { reserved: reservations[0]!.reserveNanos!, billed: nanosOf(event!), event: event! };
  }

  it("OpenAI chat: tools, a JSON-schema response_format, tool calls and tool results", async () => {
    const { reserved, billed } = await reservedAndBilled(() =>
      h.openai().chat.completions.create({
        model: MODEL,
        messages: [
          { role: "user", content: "Find invoice 7." },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: "c1",
                type: "function",
                function: { name: "lookup_record_1", arguments: '{"id":"7"}' },
              },
            ],
          },
          { role: "tool", tool_call_id: "c1", content: JSON.stringify({ amount: 12, due: "2025-01-01" }) },
        ],
        tools: openaiTools,
        response_format: {
          type: "json_schema",
          json_schema: { name: "answer", schema: TOOLS[0]!.parameters },
        },
        max_tokens: MAX_TOKENS,
      }),
    );
    expect(reserved).toBeGreaterThanOrEqual(billed);
  });

  it("OpenAI responses: tools and a JSON-schema text format", async () => {
    const { reserved, billed } = await reservedAndBilled(() =>
      h.openai().responses.create({
        model: MODEL,
        instructions: "You answer billing questions.",
        input: "Which invoices are overdue?",
        tools: TOOLS.map((t) => ({ type: "function" as const, strict: false, ...t })),
        tool_choice: "none",
        text: { format: { type: "json_schema", name: "answer", schema: TOOLS[0]!.parameters } },
        max_output_tokens: MAX_TOKENS,
      }),
    );
    expect(reserved).toBeGreaterThanOrEqual(billed);
  });

  it("Anthropic messages: system, tools, tool use and tool results", async () => {
    const { reserved, billed } = await reservedAndBilled(() =>
      h.anthropic().messages.create({
        model: CLAUDE,
        system: "You answer billing questions.",
        messages: [
          { role: "user", content: "Find invoice 7." },
          {
            role: "assistant",
            content: [{ type: "tool_use", id: "t1", name: "lookup_record_1", input: { id: "7" } }],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "t1", content: '{"amount":12,"due":"2025-01-01"}' },
            ],
          },
        ],
        tools: TOOLS.map((t) => ({
          name: t.name,
          description: t.description,
          input_schema: t.parameters as never,
        })),
        max_tokens: MAX_TOKENS,
      }),
    );
    expect(reserved).toBeGreaterThanOrEqual(billed);
  });

  it("Bedrock Converse: system, tool config and tool results", async () => {
    const client = new BedrockRuntimeClient({
      endpoint: h.mock.bedrockEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
      maxAttempts: 1,
    });
    try {
      const { reserved, billed } = await reservedAndBilled(() =>
        client.send(
          new ConverseCommand({
            modelId: BEDROCK_CLAUDE,
            system: [{ text: "You answer billing questions." }],
            messages: [
              { role: "user", content: [{ text: "Find invoice 7." }] },
              {
                role: "assistant",
                content: [{ toolUse: { toolUseId: "t1", name: "lookup_record_1", input: { id: "7" } } }],
              },
              {
                role: "user",
                content: [{ toolResult: { toolUseId: "t1", content: [{ json: { amount: 12 } }] } }],
              },
            ],
            toolConfig: {
              tools: TOOLS.map((t) => ({
                toolSpec: {
                  name: t.name,
                  description: t.description,
                  inputSchema: { json: t.parameters as never },
                },
              })),
            },
            inferenceConfig: { maxTokens: MAX_TOKENS },
          }),
        ),
      );
      expect(reserved).toBeGreaterThanOrEqual(billed);
    } finally {
      client.destroy();
    }
  });
});
