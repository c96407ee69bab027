/**
 * costtrail + AWS Bedrock Runtime: Converse, ConverseStream and InvokeModel, annotated with trackContext.
 *
 *   npx tsx examples/bedrock/app.ts
 *
 * With AWS credentials in the environment (AWS_ACCESS_KEY_ID or AWS_PROFILE) it calls Bedrock in AWS_REGION
 * (default us-east-1; the models must be enabled there). Without, the calls go to costtrail's local mock
 * provider, which speaks the same HTTP/2 + event-stream protocol, so the example runs offline.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { instrument, trackContext, type UsageEvent } from "../../src/index.js";
import { startMockProvider } from "../../src/testing.js";

const events: UsageEvent[] = [];
const costtrail = instrument({
  ledger: false,
  defaults: { useCaseName: "bedrock-example", accountName: "acme" },
  onEvent: (event) => events.push(event),
});
// Under loaders that give require() its own copy of ESM packages (tsx), patching finishes asynchronously.
await costtrail.ready;

const live = Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
const mock = live ? undefined : await startMockProvider();
const client = mock
  ? new BedrockRuntimeClient({
      endpoint: mock.bedrockEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "mock", secretAccessKey: "mock" },
    })
  : new BedrockRuntimeClient({ region: process.env.AWS_REGION ?? "us-east-1" });

const claude = "us.anthropic.claude-3-5-haiku-20241022-v1:0"; // an inference profile id
const nova = "us.amazon.nova-lite-v1:0";
const policy = "Refunds are due within 30 days of a valid claim. ".repeat(120);

await trackContext({ useCaseName: "refund-assistant", userId: "user-42" }, async () => {
  // Converse, with a cache point after the long system prompt: the second call reads it from the cache.
  for (const question of ["Is a claim from day 31 refundable?", "Who approves refunds?"]) {
    await client.send(
      new ConverseCommand({
        modelId: claude,
        system: [{ text: policy }, { cachePoint: { type: "default" } }],
        messages: [{ role: "user", content: [{ text: question }] }],
        inferenceConfig: { maxTokens: 200 },
      }),
    );
  }

  // ConverseStream: the event is recorded when the stream ends, with the metadata event's usage.
  await trackContext({ useCaseStep: "draft-reply" }, async () => {
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: nova,
        messages: [{ role: "user", content: [{ text: "Draft a short, kind refund confirmation." }] }],
      }),
    );
    let text = "";
    for await (const event of out.stream ?? []) text += event.contentBlockDelta?.delta?.text ?? "";
    console.log(`draft: ${text}\n`);
  });

  // InvokeModel with the model's own body; the user still reads the body as usual.
  const invoked = await client.send(
    new InvokeModelCommand({
      modelId: claude,
      contentType: "application/json",
      body: JSON.stringify({
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 100,
        messages: [{ role: "user", content: "Summarise: refund approved." }],
      }),
    }),
  );
  const answer = JSON.parse(invoked.body.transformToString()) as { content: { text?: string }[] };
  console.log(`summary: ${answer.content[0]?.text ?? ""}\n`);
});

await costtrail.shutdown();
client.destroy();
await mock?.close();

console.table(
  events.map((e) => ({
    operation: e.operation,
    model: e.requestModel,
    stream: e.stream,
    status: e.status,
    input: e.usage.inputTokens,
    cacheRead: e.usage.cacheReadTokens,
    cacheWrite: e.usage.cacheWriteTokens,
    output: e.usage.outputTokens,
    costUsd: e.costMicros === null ? "unpriced" : (e.costMicros / 1e6).toFixed(6),
    useCase: e.annotations.useCaseName,
    step: e.annotations.useCaseStep ?? "",
    user: e.annotations.userId,
  })),
);
