import type { Undo } from "./patch.js";

/** One entry of the provider registry: the package to find, the versions checked, how to patch one copy. */
export interface ProviderAdapter {
  name: string;
  /** The npm package (`openai`, `@anthropic-ai/sdk`…). */
  pkg: string;
  /** The version range the patch table was checked against (`>=5.0.0 <8.0.0`). */
  supported: string;
  /** Patches one loaded build (CommonJS or ESM) of the package; returns the undos. */
  patch(sdk: Record<string, any>): Undo[];
}
