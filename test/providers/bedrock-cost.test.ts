// Bedrock events are priced from genai-prices' AWS table, inference-profile ids included.
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { calcPrice } from "@pydantic/genai-prices";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { trackContext } from "../../src/index.js";
import { createHarness, type Harness } from "../support/harness.js";

let h: Harness;
let client: BedrockRuntimeClient;
beforeAll(async () => {
  h = await createHarness();
  client = new BedrockRuntimeClient({
    endpoint: h.mock.bedrockEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
});
afterEach(() => h.stop());
afterAll(async () => {
  client.destroy();
  await h.mock.close();
});

it.each([
  "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  "anthropic.claude-3-5-haiku-20241022-v1:0",
  "amazon.nova-lite-v1:0",
])("%s: costNanos equals genai-prices' AWS price to the nano-dollar", async (modelId) => {
  await h.start().ready;
  await trackContext({ userId: "u" }, () =>
    client.send(
      new ConverseCommand({ modelId, messages: [{ role: "user", content: [{ text: "Price me." }] }] }),
    ),
  );
  const [event] = await h.eventsSettled(1);
  const u = event!.usage;
  const expected = calcPrice(
    {
      input_tokens: u.inputTokens,
      output_tokens: u.outputTokens,
      cache_read_tokens: u.cacheReadTokens,
      cache_write_tokens: u.cacheWriteTokens,
    },
    modelId,
    { providerId: "aws", timestamp: new Date(event!.ts) },
  );
  expect(expected).not.toBeNull();
  expect(event).toMatchObject({ provider: "bedrock", costSource: "computed" });
  expect(event!.costNanos).toBe(Math.round(expected!.total_price * 1e9));
  // The micro-USD convenience figure is rounded up: a non-zero cost never shows as 0.
  expect(event!.costMicros).toBe(Math.ceil(event!.costNanos! / 1000));
  expect(event!.costMicros).toBeGreaterThan(0);
});
