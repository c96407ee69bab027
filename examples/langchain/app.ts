/**
 * costtrail + LangChain.js: the CostTrailCallbackHandler on a chain, a batch and a stream.
 *
 *   npx tsx examples/langchain/app.ts
 *
 * Without OPENAI_API_KEY / ANTHROPIC_API_KEY the models talk to costtrail's local mock provider, so the example
 * runs offline. ChatOpenAI goes through the `openai` SDK costtrail patches: its calls are recorded by that
 * instrumentation, and the handler only adds its annotations (no double count). A model whose SDK costtrail
 * does not see (here ChatAnthropic, when @langchain/anthropic brings its own copy of @anthropic-ai/sdk) is
 * recorded by the handler from LangChain's `usage_metadata`. One event per model call either way.
 */
import { ChatAnthropic } from "@langchain/anthropic";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { ChatOpenAI } from "@langchain/openai";
import { instrument, trackContext, type UsageEvent } from "../../src/index.js";
import { CostTrailCallbackHandler } from "../../src/providers/langchain/index.js";
import { startMockProvider } from "../../src/testing.js";

const events: UsageEvent[] = [];
const costtrail = instrument({
  ledger: false,
  defaults: { useCaseName: "langchain-example" },
  onEvent: (event) => events.push(event),
});
// Under loaders that give require() its own copy of ESM packages (tsx), patching finishes asynchronously.
await costtrail.ready;

const mock =
  process.env.OPENAI_API_KEY && process.env.ANTHROPIC_API_KEY ? undefined : await startMockProvider();
const openai = new ChatOpenAI({
  model: "gpt-4o-mini",
  ...(mock ? { apiKey: "mock", configuration: { baseURL: mock.openaiBaseURL } } : {}),
});
const anthropic = new ChatAnthropic({
  model: "claude-haiku-4-5",
  ...(mock ? { apiKey: "mock", anthropicApiUrl: mock.anthropicBaseURL } : {}),
});

// One handler for the whole app; per-run annotations travel in `metadata.costtrail`.
const costtrailHandler = new CostTrailCallbackHandler({ annotations: { requestTags: ["langchain"] } });

const triage = ChatPromptTemplate.fromMessages([
  ["system", "Classify the support ticket as billing, bug or other. Answer with one word."],
  ["user", "{ticket}"],
])
  .pipe(openai)
  .pipe(new StringOutputParser());

const reply = ChatPromptTemplate.fromMessages([
  ["system", "Write a two-sentence reply to the customer."],
  ["user", "{ticket}"],
])
  .pipe(anthropic)
  .pipe(new StringOutputParser());

const tickets = ["I was charged twice this month.", "The export button does nothing.", "Love the app!"];

await trackContext({ useCaseName: "support-triage", accountName: "acme" }, async () => {
  // A chain per ticket, batched; the user id of each run comes with its config.
  const labels = await triage.batch(
    tickets.map((ticket) => ({ ticket })),
    tickets.map((_, i) => ({
      callbacks: [costtrailHandler],
      metadata: { costtrail: { userId: `customer-${i + 1}` } },
    })),
  );
  console.log("labels:", labels);

  // A streamed reply for the first ticket.
  await trackContext({ useCaseStep: "reply" }, async () => {
    let text = "";
    const stream = await reply.stream(
      { ticket: tickets[0]! },
      { callbacks: [costtrailHandler], metadata: { costtrail: { userId: "customer-1" } } },
    );
    for await (const piece of stream) text += piece;
    console.log(`reply: ${text}\n`);
  });
});

await costtrail.shutdown();
await mock?.close();

console.table(
  events.map((e) => ({
    provider: e.provider,
    model: e.requestModel,
    stream: e.stream,
    input: e.usage.inputTokens,
    output: e.usage.outputTokens,
    costUsd: e.costMicros === null ? "unpriced" : (e.costMicros / 1e6).toFixed(6),
    useCase: e.annotations.useCaseName,
    step: e.annotations.useCaseStep ?? "",
    user: e.annotations.userId,
    tags: e.annotations.requestTags?.join(",") ?? "",
  })),
);
