// AWS Bedrock Runtime (`@aws-sdk/client-bedrock-runtime` v3): the patch table. Every command goes through
// `send`, the one method patched; commands.ts says which commands are billable. See README.md.
import type { ProviderAdapter } from "../toolkit/adapter.js";
import { patchMethod } from "../toolkit/patch.js";
import { instrumentSend } from "./send.js";

/** The versions this table was checked against (docs/providers.md); others are patched as far as they fit. */
export const BEDROCK_SUPPORTED = ">=3.0.0 <4.0.0";

export const bedrockAdapter: ProviderAdapter = {
  name: "bedrock",
  pkg: "@aws-sdk/client-bedrock-runtime",
  supported: BEDROCK_SUPPORTED,
  patch(sdk) {
    const Client = sdk.BedrockRuntimeClient ?? sdk.default?.BedrockRuntimeClient;
    if (typeof Client !== "function") return [];
    // `send` lives on Smithy's `Client`, shared by every AWS client: Bedrock's own `send` is defined on
    // `BedrockRuntimeClient.prototype` alone (S3 and the rest stay untouched), delegating to the shared one.
    return [
      patchMethod("bedrock BedrockRuntimeClient.send", Client.prototype, "send", instrumentSend, "here"),
    ];
  },
};
