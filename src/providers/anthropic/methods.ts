// The billable paths of `@anthropic-ai/sdk`: `/v1/messages`, which messages.create (plain and `stream: true`),
// messages.stream(), messages.parse(), the tool runners and beta.messages.* all post to (`?beta=true` is a query,
// not a path). count_tokens, models, files are not billed: no event (docs/providers.md "Call paths").
import type { BillableRequest } from "../toolkit/billable-request.js";
import { estimateMessagesInput } from "./input-estimate.js";
import { messagesObserver } from "./stream.js";

const describeMessages: BillableRequest["describe"] = (_client, body) => ({
  provider: "anthropic",
  operation: "messages",
  requestModel: String(body.model ?? "unknown"),
  stream: body.stream === true,
  estimateInputTokens: () => estimateMessagesInput(body),
  maxOutputTokens: body.max_tokens,
});

export const ANTHROPIC_REQUESTS: readonly BillableRequest[] = [
  { label: "messages", path: "/v1/messages", describe: describeMessages, observer: messagesObserver },
];
