// Batch APIs end to end (issue 17 item 3): the real openai and @anthropic-ai/sdk against the mock provider's
// batch endpoints → one event per result line, priced at the batch rate (50% of standard), attributed to the
// scope that created the batch, one ledger row per line however often the results are read.
// Rates ($ per MTok, standard → batch): gpt-4o-mini input 0.15 → 0.075, cached input 0.075 → 0.0375,
// output 0.60 → 0.30; claude-haiku-4-5 input 1 → 0.50, 5-minute cache write 1.25 → 0.625, cache read
// 0.10 → 0.05, output 5 → 2.50. $1 per MTok is 1,000 nano-USD per token.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import Database from "better-sqlite3";
import { toFile } from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { createHeaders, trackContext, type UsageEvent } from "../../src/index.js";
import type { MockUsage } from "../../src/testing.js";
import { startTsxChild } from "../support/child.js";
import { createHarness, type Harness } from "../support/harness.js";

/** Message Batches are in @anthropic-ai/sdk since 0.3x (the compatibility matrix runs older ones too). */
const noMessageBatches = typeof new Anthropic({ apiKey: "x" }).messages.batches?.results !== "function";

/** The usage the mock reports for each batch line, by custom_id. */
const LINE_USAGE: Record<string, Partial<MockUsage>> = {
  a: { inputTokens: 1000, outputTokens: 200 },
  b: { inputTokens: 2000, cacheReadTokens: 1024, outputTokens: 100 },
  q1: { inputTokens: 1000, outputTokens: 200 },
  q2: { inputTokens: 3000, cacheReadTokens: 2000, cacheWriteTokens: 500, outputTokens: 40 },
};
/** The usage of a synchronous call (the standard rate, for comparison). */
let syncUsage: Partial<MockUsage> = {};

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await createHarness({
    usage: (req) => (req.batchCustomId ? (LINE_USAGE[req.batchCustomId] ?? {}) : syncUsage),
    batchOutcome: ({ customId }) =>
      customId === "late" ? "expired" : customId === "stop" ? "canceled" : undefined,
  });
  dir = mkdtempSync(join(tmpdir(), "costtrail-batches-"));
});
afterEach(async () => {
  syncUsage = {};
  await h.stop();
});
afterAll(() => h.mock.close());

let ledgers = 0;
const newLedger = () => join(dir, `ledger-${++ledgers}.db`);

interface Row {
  id: string;
  status: string;
  request_model: string;
  input_tokens: number;
  output_tokens: number;
  cost_nanos: number | null;
  user_id: string | null;
}
function ledgerRows(path: string): Row[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(
        "SELECT id, status, request_model, input_tokens, output_tokens, cost_nanos, user_id FROM events ORDER BY id",
      )
      .all() as Row[];
  } finally {
    db.close();
  }
}

const byCustomId = (events: readonly UsageEvent[]) =>
  Object.fromEntries(events.map((e) => [e.annotations.requestProperties?.["custom_id"], e]));

function chatInput(...ids: string[]): string {
  return ids
    .map((custom_id) =>
      JSON.stringify({
        custom_id,
        method: "POST",
        url: "/v1/chat/completions",
        body: {
          model: "gpt-4o-mini",
          messages: custom_id === "bad" ? [] : [{ role: "user", content: `line ${custom_id}` }],
        },
      }),
    )
    .join("\n");
}

/** Uploads the input and creates an OpenAI batch with the client given. */
async function openaiBatch(ids: string[], headers?: Record<string, string>) {
  const openai = h.openai();
  const file = await openai.files.create({
    file: await toFile(Buffer.from(chatInput(...ids)), "input.jsonl"),
    purpose: "batch",
  });
  return openai.batches.create(
    {
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { job: "nightly-summaries" },
    },
    headers ? { headers } : undefined,
  );
}

/** The results file as the provider serves it, read without any SDK. */
async function rawText(url: string, headers: Record<string, string>): Promise<string> {
  return (await fetch(url, { headers })).text();
}

describe("OpenAI Batch API", () => {
  it("one event per output line at the batch rate, attributed to the scope that created the batch", async () => {
    const path = newLedger();
    await h.start({ ledger: path }).ready;
    const created = await trackContext({ useCaseName: "summaries", userId: "u-7" }, () =>
      openaiBatch(["a", "b"], createHeaders({ accountName: "acme" })),
    );
    // Retrieved and read elsewhere, later: the creation's scope still applies.
    const batch = await h.openai().batches.retrieve(created.id);
    const content = await h.openai().files.content(batch.output_file_id!);
    const text = await content.text();
    expect(text).toBe(
      await rawText(`${h.mock.openaiBaseURL}/files/${batch.output_file_id}/content`, {
        authorization: "Bearer test",
      }),
    );
    const events = await h.eventsSettled(2);
    expect(events).toHaveLength(2);
    const { a, b } = byCustomId(events);
    expect(a).toMatchObject({
      provider: "openai",
      operation: "chat",
      requestModel: "gpt-4o-mini-2024-07-18",
      status: "ok",
      stream: false,
      attempts: 1,
      costSource: "computed",
      usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 0, batch: true },
      costNanos: 135_000, // 1000 × 75 + 200 × 300
      costBreakdown: { input: 75_000, output: 60_000 },
      costMicros: 135,
      annotations: {
        useCaseName: "summaries",
        userId: "u-7",
        accountName: "acme",
        requestProperties: { job: "nightly-summaries", batch_id: created.id, custom_id: "a" },
      },
    });
    // 976 × 75 + 1024 × 37.5 + 100 × 300
    expect(b).toMatchObject({
      usage: { inputTokens: 2000, cacheReadTokens: 1024, outputTokens: 100 },
      costNanos: 141_600,
      costBreakdown: { input: 73_200, cacheRead: 38_400, output: 30_000 },
    });
    expect(a!.annotations.useCaseId).toBeDefined();
    expect(b!.annotations.useCaseId).toBe(a!.annotations.useCaseId);

    // The same usage on the synchronous endpoint costs exactly twice as much.
    syncUsage = LINE_USAGE["a"]!;
    await h.openai().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "now" }],
    });
    const [sync] = (await h.eventsSettled(3)).slice(2);
    expect(sync!.costNanos).toBe(2 * a!.costNanos!);

    await h.stop();
    const rows = ledgerRows(path);
    expect(rows.filter((r) => r.status === "ok" && r.cost_nanos !== 270_000)).toEqual(
      [a!, b!]
        .map((e) => ({
          id: e.id,
          status: "ok",
          request_model: "gpt-4o-mini-2024-07-18",
          input_tokens: e.usage.inputTokens,
          output_tokens: e.usage.outputTokens,
          cost_nanos: e.costNanos,
          user_id: "u-7",
        }))
        .sort((x, y) => x.id.localeCompare(y.id)),
    );
  });

  it("reading the results twice, in this process or another, keeps one ledger row per line", async () => {
    const path = newLedger();
    const first = h.start({ ledger: path });
    await first.ready;
    const created = await openaiBatch(["a", "b"]);
    const openai = h.openai();
    const batch = await openai.batches.retrieve(created.id);
    await (await openai.files.content(batch.output_file_id!)).text();
    // Read again as a stream of bytes: the same lines, no new events.
    const again = await openai.files.content(batch.output_file_id!);
    const chunks: Uint8Array[] = [];
    for await (const chunk of again.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    const events = await h.eventsSettled(3);
    expect(events).toHaveLength(2);
    const ids = events.map((e) => e.id).sort();
    await first.shutdown();

    // Another process (a new instrument() on the same ledger) reads the file again: it emits the same ids,
    // and the ledger's idempotent insert keeps one row each.
    await h.start({ ledger: path }).ready;
    await (await h.openai().files.content(batch.output_file_id!)).text();
    const all = await h.eventsSettled(4);
    expect(
      all
        .slice(2)
        .map((e) => e.id)
        .sort(),
    ).toEqual(ids);
    await h.stop();
    const rows = ledgerRows(path);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.reduce((sum, r) => sum + r.cost_nanos!, 0)).toBe(135_000 + 141_600);
  });

  it("failed and expired lines (the error file) are recorded with no cost", async () => {
    await h.start().ready;
    const created = await openaiBatch(["a", "bad", "late"]);
    const batch = await h.openai().batches.retrieve(created.id);
    expect(batch.request_counts).toMatchObject({ completed: 1, failed: 2 });
    await (await h.openai().files.content(batch.error_file_id!)).text();
    const { bad, late } = byCustomId(await h.eventsSettled(2));
    expect(bad).toMatchObject({
      status: "error",
      errorType: "invalid_request_error",
      httpStatus: 400,
      attempts: 1,
      costNanos: 0,
      costMicros: 0,
      usage: { inputTokens: 0, outputTokens: 0 },
    });
    expect(late).toMatchObject({ status: "aborted", errorType: "batch_expired", attempts: 0, costNanos: 0 });
    expect(h.events).toHaveLength(2);
  });

  it("a batch created without costtrail is attributed to the scope its results are read in", async () => {
    const created = await openaiBatch(["a"]);
    await h.start().ready;
    await trackContext({ userId: "reader" }, async () => {
      const batch = await h.openai().batches.retrieve(created.id);
      await (await h.openai().files.content(batch.output_file_id!)).text();
    });
    const [event] = await h.eventsSettled(1);
    expect(event!.annotations).toEqual({
      userId: "reader",
      requestProperties: { job: "nightly-summaries", batch_id: created.id, custom_id: "a" },
    });
    expect(event!.costNanos).toBe(135_000);
  });

  it("files that are not batch results are left alone: no events", async () => {
    await h.start().ready;
    const openai = h.openai();
    const file = await openai.files.create({
      file: await toFile(Buffer.from('{"messages":[{"role":"user","content":"hi"}]}\n'), "train.jsonl"),
      purpose: "fine-tune",
    });
    expect(await (await openai.files.content(file.id)).text()).toBe(
      '{"messages":[{"role":"user","content":"hi"}]}\n',
    );
    await h.eventsSettled(0);
    expect(h.events).toHaveLength(0);
  });
});

describe.skipIf(noMessageBatches)("Anthropic Message Batches", () => {
  const params = (content: string) => ({
    model: "claude-haiku-4-5",
    max_tokens: 100,
    messages: [{ role: "user" as const, content }],
  });

  it("one event per result line at the batch rate; errored, expired and canceled lines cost nothing", async () => {
    const path = newLedger();
    await h.start({ ledger: path }).ready;
    const anthropic = h.anthropic();
    const created = await trackContext({ useCaseName: "triage", userId: "u-9" }, () =>
      anthropic.messages.batches.create({
        requests: [
          { custom_id: "q1", params: params("first") },
          { custom_id: "q2", params: params("second") },
          { custom_id: "bad", params: { ...params("x"), max_tokens: undefined as unknown as number } },
          { custom_id: "late", params: params("late") },
          { custom_id: "stop", params: params("stop") },
        ],
      }),
    );
    const lines: unknown[] = [];
    for await (const line of await anthropic.messages.batches.results(created.id)) lines.push(line);
    const batch = await anthropic.messages.batches.retrieve(created.id);
    const raw = await rawText(batch.results_url!, { "x-api-key": "test", "anthropic-version": "2023-06-01" });
    expect(lines).toEqual(
      raw
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    );

    const events = byCustomId(await h.eventsSettled(5));
    expect(Object.keys(events).sort()).toEqual(["bad", "late", "q1", "q2", "stop"]);
    const annotations = {
      useCaseName: "triage",
      userId: "u-9",
      requestProperties: { batch_id: created.id, custom_id: "q1" },
    };
    expect(events["q1"]).toMatchObject({
      provider: "anthropic",
      operation: "messages",
      requestModel: "claude-haiku-4-5-20251001",
      status: "ok",
      usage: { inputTokens: 1000, outputTokens: 200, batch: true },
      costNanos: 1_000_000, // 1000 × 500 + 200 × 2500
      costBreakdown: { input: 500_000, output: 500_000 },
      annotations,
    });
    // 500 uncached × 500 + 500 written × 625 + 2000 read × 50 + 40 × 2500
    expect(events["q2"]).toMatchObject({
      usage: { inputTokens: 3000, cacheReadTokens: 2000, cacheWriteTokens: 500, outputTokens: 40 },
      costNanos: 762_500,
      costBreakdown: { input: 250_000, cacheWrite5m: 312_500, cacheRead: 100_000, output: 100_000 },
    });
    expect(events["bad"]).toMatchObject({
      status: "error",
      errorType: "invalid_request_error",
      costNanos: 0,
    });
    expect(events["late"]).toMatchObject({
      status: "aborted",
      errorType: "expired",
      attempts: 0,
      costNanos: 0,
    });
    expect(events["stop"]).toMatchObject({
      status: "aborted",
      errorType: "canceled",
      attempts: 0,
      costNanos: 0,
    });

    // The beta surface reads the same results: same ids, nothing new.
    for await (const _ of await anthropic.beta.messages.batches.results(created.id));
    await h.eventsSettled(6);
    expect(h.events).toHaveLength(5);
    await h.stop();
    const rows = ledgerRows(path);
    expect(rows).toHaveLength(5);
    expect(rows.reduce((sum, r) => sum + r.cost_nanos!, 0)).toBe(1_762_500);
    expect(new Set(rows.map((r) => r.user_id))).toEqual(new Set(["u-9"]));
    // Re-pricing under the same table changes nothing: the batch rate and the unanswered lines' 0 hold.
    let out = "";
    const code = await runCli(["reprice", "--db", path, "--dry-run", "--format", "json"], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => {} },
    });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ events: 5, changed: 0 });
    // …and every model in it has a price: the unanswered lines (model "unknown") billed nothing.
    out = "";
    const checked = await runCli(["prices", "--check", "--db", path], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => {} },
    });
    expect(out).toBe("all 1 model(s) in the ledger have a price\n");
    expect(checked).toBe(0);
  });

  it("the same batch read by a second instrument() on the ledger adds no rows", async () => {
    const path = newLedger();
    const first = h.start({ ledger: path });
    await first.ready;
    const anthropic = h.anthropic();
    const created = await anthropic.messages.batches.create({
      requests: [{ custom_id: "q1", params: params("first") }],
    });
    for await (const _ of await anthropic.messages.batches.results(created.id));
    await h.eventsSettled(1);
    await first.shutdown();
    await h.start({ ledger: path }).ready;
    for await (const _ of await anthropic.messages.batches.results(created.id));
    const events = await h.eventsSettled(2);
    expect(events).toHaveLength(2);
    expect(events[1]!.id).toBe(events[0]!.id);
    await h.stop();
    expect(ledgerRows(path)).toHaveLength(1);
  });
});

describe.skipIf(noMessageBatches)("results read by another process", () => {
  const reader = new URL("../fixtures/batch-reader.ts", import.meta.url).pathname;

  it("are attributed to the scope the batches were created in (the ledger's batch_scopes)", async () => {
    const path = newLedger();
    const creator = h.start({ ledger: path });
    await creator.ready;
    const [openaiBatchId, anthropicBatchId] = await trackContext(
      { useCaseName: "nightly", userId: "u-42" },
      async () => [
        (await openaiBatch(["a"])).id,
        (
          await h.anthropic().messages.batches.create({
            requests: [
              {
                custom_id: "q1",
                params: {
                  model: "claude-haiku-4-5",
                  max_tokens: 100,
                  messages: [{ role: "user", content: "x" }],
                },
              },
            ],
          })
        ).id,
      ],
    );
    await creator.shutdown();

    const child = startTsxChild(reader, [path, openaiBatchId, anthropicBatchId], {
      ...process.env,
      MOCK_URL: h.mock.url,
    });
    const { code } = await child.exited;
    // Its stderr says why, if it failed (warnings there, e.g. a loaded server's slow connect, are not failures).
    expect(code, child.stderr()).toBe(0);
    const events = child
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as UsageEvent);
    expect(events.map((e) => [e.provider, e.costNanos])).toEqual([
      ["openai", 135_000],
      ["anthropic", 1_000_000],
    ]);
    for (const e of events) {
      expect(e.annotations).toMatchObject({ useCaseName: "nightly", userId: "u-42" });
    }
    expect(events[0]!.annotations.requestProperties).toEqual({
      job: "nightly-summaries",
      batch_id: openaiBatchId,
      custom_id: "a",
    });
    const rows = ledgerRows(path);
    expect(rows.map((r) => r.user_id)).toEqual(["u-42", "u-42"]);
  }, 60_000);
});
