/**
 * costtrail in a script or batch job: a nightly digest. Global instrumentation (the default) opens one
 * process-wide root scope holding `defaults`, so every call in the run is attributed to the
 * `nightly-digest` use case of the `internal` account, one instance per run, with no per-call code. On top
 * of it: `@track` on a class method names the step, `trackContext` adds the subscriber a call is for, and
 * `createHeaders` tags one single request.
 *
 *   npx tsx examples/script/main.ts
 *   npx costtrail report --by step
 *
 * COSTTRAIL_PRINT_EVENTS=1 prints each usage event as one JSON line instead of the summary table;
 * COSTTRAIL_LEDGER=<file> picks the ledger (default .costtrail/ledger.db), COSTTRAIL_LEDGER=off disables it.
 * Without OPENAI_API_KEY and ANTHROPIC_API_KEY the calls go to costtrail's local mock provider.
 */
import { createHeaders, instrument, track, trackContext, type UsageEvent } from "../../src/index.js";
import { createClients } from "../shared/clients.js";

const printEvents = process.env.COSTTRAIL_PRINT_EVENTS === "1";
const ledger = process.env.COSTTRAIL_LEDGER;
const events: UsageEvent[] = [];

const costtrail = instrument({
  defaults: { accountName: "internal", useCaseName: "nightly-digest" },
  ledger: ledger === "off" ? false : ledger, // undefined: the default .costtrail/ledger.db
  onEvent(event) {
    events.push(event);
    if (printEvents) console.log(JSON.stringify(event));
  },
});
await costtrail.ready; // under tsx, the ESM SDKs are patched asynchronously

const { openai, anthropic, close } = await createClients();

const headlines = [
  "Central bank holds rates steady for a third month",
  "Local team wins the regional final after extra time",
  "New bridge opens two months ahead of schedule",
];
const subscribers = ["alice", "bob"];

class DigestWriter {
  /** Every call beneath this method is the "summarize" step of the run's nightly-digest instance. */
  @track({ useCaseStep: "summarize" })
  async summarize(items: string[]): Promise<string> {
    const response = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Summarize these headlines in three sentences." },
        { role: "user", content: items.join("\n") },
      ],
    });
    return response.choices[0]?.message.content ?? "";
  }

  /** A streamed call: its event (tokens, cost, time to first token) is recorded when the stream ends. */
  @track({ useCaseStep: "title" })
  async title(summary: string): Promise<string> {
    const stream = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      stream: true,
      messages: [{ role: "user", content: `A five-word title for this digest:\n${summary}` }],
    });
    let title = "";
    for await (const chunk of stream) title += chunk.choices[0]?.delta.content ?? "";
    return title;
  }
}

const writer = new DigestWriter();
const summary = await writer.summarize(headlines);
const title = await writer.title(summary);

// One personalised intro per subscriber: runtime values go in a trackContext scope.
for (const userId of subscribers) {
  await trackContext({ userId, useCaseStep: "personalize" }, () =>
    anthropic.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 200,
      messages: [{ role: "user", content: `Write a one-line greeting for ${userId} about: ${title}` }],
    }),
  );
}

// Headers annotate one request only (the innermost scope of that call).
await openai.embeddings.create(
  { model: "text-embedding-3-small", input: summary },
  { headers: createHeaders({ useCaseStep: "index", requestTags: ["search-index"] }) },
);

await costtrail.shutdown(); // flushes the ledger
await close();

if (!printEvents) {
  console.table(
    events.map((e) => ({
      step: e.annotations.useCaseStep,
      user: e.annotations.userId ?? "",
      model: e.requestModel,
      stream: e.stream,
      input: e.usage.inputTokens,
      output: e.usage.outputTokens,
      usd: e.costMicros === null ? "unpriced" : (e.costMicros / 1e6).toFixed(6),
    })),
  );
  console.log(
    `all in use case "${events[0]?.annotations.useCaseName}", instance ${events[0]?.annotations.useCaseId}`,
  );
}
