// The billable methods of `@anthropic-ai/sdk`: messages.create (plain and `stream: true`, and so
// messages.stream() and messages.parse(), which call it), and beta.messages.create likewise.
import type { BillableMethod } from "../toolkit/resource-method.js";
import { estimateMessagesInput } from "./input-estimate.js";
import { messagesObserver } from "./stream.js";

const describeMessages: BillableMethod["describe"] = (_client, body) => ({
  provider: "anthropic",
  operation: "messages",
  requestModel: String(body.model ?? "unknown"),
  stream: body.stream === true,
  estimateInputTokens: () => estimateMessagesInput(body),
  maxOutputTokens: body.max_tokens,
});

export const ANTHROPIC_METHODS: readonly BillableMethod[] = [
  {
    label: "messages.create",
    resource: (Anthropic) => Anthropic.Messages?.prototype,
    describe: describeMessages,
    observer: messagesObserver,
  },
  {
    label: "beta.messages.create",
    resource: (Anthropic) => Anthropic.Beta?.Messages?.prototype,
    describe: describeMessages,
    observer: messagesObserver,
  },
];
