// The mock's batch endpoints in the providers' shapes, through the real SDKs (no costtrail).
import { toFile } from "openai";
import { describe, expect, it } from "vitest";
import { useMock } from "./helpers.js";

const c = useMock({
  batchOutcome: ({ customId }) =>
    customId === "late" ? "expired" : customId === "stop" ? "canceled" : undefined,
});

function chatLine(customId: string, body: Record<string, unknown>) {
  return JSON.stringify({ custom_id: customId, method: "POST", url: "/v1/chat/completions", body });
}

describe("OpenAI Files + Batch API", () => {
  it("uploads a JSONL file, runs the batch, serves output and error files", async () => {
    const input = [
      chatLine("ok", { model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] }),
      chatLine("bad", { model: "gpt-4o-mini", messages: [] }),
      chatLine("late", { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }),
    ].join("\n");
    const file = await c.openai.files.create({
      file: await toFile(Buffer.from(input), "batch.jsonl"),
      purpose: "batch",
    });
    expect(file).toMatchObject({ object: "file", purpose: "batch", filename: "batch.jsonl" });
    expect(file.id).toMatch(/^file-/);
    expect(file.bytes).toBe(Buffer.byteLength(input));

    const created = await c.openai.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { job: "nightly" },
    });
    expect(created).toMatchObject({ object: "batch", status: "validating", output_file_id: null });
    expect(created.id).toMatch(/^batch_/);

    const batch = await c.openai.batches.retrieve(created.id);
    expect(batch).toMatchObject({
      status: "completed",
      metadata: { job: "nightly" },
      request_counts: { total: 3, completed: 1, failed: 2 },
    });
    const output = await (await c.openai.files.content(batch.output_file_id!)).text();
    const [line] = output
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(line).toMatchObject({
      custom_id: "ok",
      error: null,
      response: { status_code: 200, body: { object: "chat.completion", model: "gpt-4o-mini-2024-07-18" } },
    });
    expect(line.id).toMatch(/^batch_req_/);
    expect(line.response.body.usage.prompt_tokens).toBeGreaterThan(0);

    const errors = (await (await c.openai.files.content(batch.error_file_id!)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(errors).toEqual([
      expect.objectContaining({
        custom_id: "bad",
        response: expect.objectContaining({
          status_code: 400,
          body: { error: expect.objectContaining({ type: "invalid_request_error" }) },
        }),
        error: null,
      }),
      expect.objectContaining({
        custom_id: "late",
        response: null,
        error: expect.objectContaining({ code: "batch_expired" }),
      }),
    ]);
  });

  it("fails a batch whose lines do not match its endpoint", async () => {
    const file = await c.openai.files.create({
      file: await toFile(
        Buffer.from(JSON.stringify({ custom_id: "a", method: "POST", url: "/v1/embeddings", body: {} })),
        "b.jsonl",
      ),
      purpose: "batch",
    });
    await c.openai.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const [batch] = (await c.openai.batches.list()).data;
    expect(batch).toMatchObject({ status: "failed", output_file_id: null });
    expect(batch!.errors?.data?.[0]).toMatchObject({ code: "mismatched_endpoint", line: 1 });
  });
});

describe("Anthropic Message Batches", () => {
  it("creates in_progress, ends, and serves succeeded / errored / expired / canceled results", async () => {
    const params = {
      model: "claude-haiku-4-5",
      max_tokens: 50,
      messages: [{ role: "user" as const, content: "hi" }],
    };
    const created = await c.anthropic.messages.batches.create({
      requests: [
        { custom_id: "ok", params },
        { custom_id: "bad", params: { ...params, max_tokens: undefined as unknown as number } },
        { custom_id: "late", params },
        { custom_id: "stop", params },
      ],
    });
    expect(created).toMatchObject({
      type: "message_batch",
      processing_status: "in_progress",
      results_url: null,
      request_counts: { processing: 4 },
    });
    expect(created.id).toMatch(/^msgbatch_/);
    const batch = await c.anthropic.messages.batches.retrieve(created.id);
    expect(batch).toMatchObject({
      processing_status: "ended",
      request_counts: { processing: 0, succeeded: 1, errored: 1, expired: 1, canceled: 1 },
    });
    expect(batch.results_url).toBe(`${c.mock.url}/v1/messages/batches/${created.id}/results`);
    const lines = [];
    for await (const line of await c.anthropic.messages.batches.results(created.id)) lines.push(line);
    expect(lines.map((l) => [l.custom_id, l.result.type])).toEqual([
      ["ok", "succeeded"],
      ["bad", "errored"],
      ["late", "expired"],
      ["stop", "canceled"],
    ]);
    const ok = lines[0]!.result;
    if (ok.type !== "succeeded") throw new Error("expected a message");
    expect(ok.message).toMatchObject({ type: "message", model: "claude-haiku-4-5-20251001" });
    expect(ok.message.usage.service_tier).toBe("batch");
    expect(lines[1]!.result).toEqual({
      type: "errored",
      error: {
        type: "error",
        error: { type: "invalid_request_error", message: "max_tokens: Field required" },
      },
    });
  });
});
