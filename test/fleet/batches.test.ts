// Batch APIs on the fleet ledger (PostgreSQL): a batch created by one process is attributed, when another
// process reads its results, to the scope it was created in (batch_scopes), and reading the results again
// adds no rows (the events' primary key). docs/providers.md "Batch APIs".
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toFile } from "openai";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { trackContext, type UsageEvent } from "../../src/index.js";
import { startTsxChild } from "../support/child.js";
import { createHarness, type Harness } from "../support/harness.js";
import { freshDatabase, query } from "./pg-helpers.js";

const db = freshDatabase("batches");
const reader = new URL("../fixtures/batch-reader.ts", import.meta.url).pathname;
let h: Harness;
let spool: string;
beforeAll(async () => {
  h = await createHarness({
    usage: (req) => (req.batchCustomId ? { inputTokens: 1000, outputTokens: 200 } : {}),
  });
  spool = mkdtempSync(join(tmpdir(), "costtrail-batches-spool-"));
  process.env["COSTTRAIL_SPOOL_DIR"] = spool;
});
afterEach(() => h.stop());
afterAll(async () => {
  delete process.env["COSTTRAIL_SPOOL_DIR"];
  await h.mock.close();
});

function runReader(openaiBatchId: string, anthropicBatchId: string) {
  return startTsxChild(reader, [db.url(), openaiBatchId, anthropicBatchId], {
    ...process.env,
    MOCK_URL: h.mock.url,
    COSTTRAIL_SPOOL_DIR: spool,
  });
}

it("results read by another process are attributed to the creating scope, once per line", async () => {
  const creator = h.start({ ledger: db.url() });
  await creator.ready;
  const [openaiBatchId, anthropicBatchId] = await trackContext(
    { useCaseName: "nightly", userId: "u-42" },
    async () => {
      const openai = h.openai();
      const line = {
        custom_id: "a",
        method: "POST",
        url: "/v1/chat/completions",
        body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] },
      };
      const file = await openai.files.create({
        file: await toFile(Buffer.from(JSON.stringify(line)), "in.jsonl"),
        purpose: "batch",
      });
      const batch = await openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      const messages = await h.anthropic().messages.batches.create({
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
      });
      return [batch.id, messages.id];
    },
  );
  await creator.shutdown();
  const scopes = await query<{ provider: string; batch_id: string }>(
    db.url(),
    "SELECT provider, batch_id FROM batch_scopes ORDER BY provider",
  );
  expect(scopes).toEqual([
    { provider: "anthropic", batch_id: anthropicBatchId },
    { provider: "openai", batch_id: openaiBatchId },
  ]);

  for (let run = 0; run < 2; run++) {
    const child = runReader(openaiBatchId, anthropicBatchId);
    const { code } = await child.exited;
    // Its stderr says why, if it failed (warnings there, e.g. a loaded server's slow connect, are not failures).
    expect(code, child.stderr()).toBe(0);
    const events = child
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as UsageEvent);
    expect(
      events.map((e) => [e.provider, e.costNanos, e.annotations.userId, e.annotations.useCaseName]),
    ).toEqual([
      ["openai", 135_000, "u-42", "nightly"],
      ["anthropic", 1_000_000, "u-42", "nightly"],
    ]);
  }
  const rows = await query<{ user_id: string; cost_nanos: string }>(
    db.url(),
    "SELECT user_id, cost_nanos FROM events ORDER BY cost_nanos",
  );
  expect(rows.map((r) => [r.user_id, Number(r.cost_nanos)])).toEqual([
    ["u-42", 135_000],
    ["u-42", 1_000_000],
  ]);
}, 60_000);
