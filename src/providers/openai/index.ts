// OpenAI and Azure OpenAI (`openai`): the patch table. See README.md for what it relies on, per version.
import type { ProviderAdapter } from "../toolkit/adapter.js";
import { patchResourceClient } from "../toolkit/resource-client.js";
import { OPENAI_BATCH_ROUTES } from "./batches.js";
import { OPENAI_REQUESTS } from "./methods.js";

/** The versions this table was checked against (docs/providers.md); others are patched as far as they fit. */
export const OPENAI_SUPPORTED = ">=5.0.0 <8.0.0";

export const openaiAdapter: ProviderAdapter = {
  name: "openai",
  pkg: "openai",
  supported: OPENAI_SUPPORTED,
  patch: (sdk) =>
    patchResourceClient(
      "openai",
      sdk.OpenAI ?? sdk.default,
      "OpenAIError",
      sdk,
      OPENAI_REQUESTS,
      OPENAI_BATCH_ROUTES,
    ),
};
