// Anthropic (`@anthropic-ai/sdk`): the patch table. See README.md for what it relies on, per version.
import type { ProviderAdapter } from "../toolkit/adapter.js";
import { patchResourceClient } from "../toolkit/resource-client.js";
import { ANTHROPIC_BATCH_ROUTES } from "./batches.js";
import { ANTHROPIC_REQUESTS } from "./methods.js";

/** The versions this table was checked against (docs/providers.md); others are patched as far as they fit. */
export const ANTHROPIC_SUPPORTED = ">=0.30.0 <2.0.0";

export const anthropicAdapter: ProviderAdapter = {
  name: "anthropic",
  pkg: "@anthropic-ai/sdk",
  supported: ANTHROPIC_SUPPORTED,
  patch: (sdk) =>
    patchResourceClient(
      "anthropic",
      sdk.Anthropic ?? sdk.default,
      "AnthropicError",
      sdk,
      ANTHROPIC_REQUESTS,
      ANTHROPIC_BATCH_ROUTES,
    ),
};
