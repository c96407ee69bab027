import { finishAbandonedCalls } from "../calls/index.js";
import { log } from "../log.js";
import { anthropicAdapter } from "./anthropic/index.js";
import { bedrockAdapter } from "./bedrock/index.js";
import { openaiAdapter } from "./openai/index.js";
import type { ProviderAdapter } from "./toolkit/adapter.js";
import { loadSdkInstances } from "./toolkit/load-sdk.js";
import { checkSdkVersion } from "./toolkit/sdk-version.js";

/** The providers costtrail patches: the one list. A new provider is a folder like these and a line here. */
export const PROVIDERS: readonly ProviderAdapter[] = [openaiAdapter, anthropicAdapter, bedrockAdapter];

let undos: (() => void)[] = [];
let generation = 0;

function patchInstance(adapter: ProviderAdapter, sdk: Record<string, unknown>) {
  try {
    for (const undo of adapter.patch(sdk)) if (undo) undos.push(undo);
  } catch (error) {
    log.errorOnce(
      `patch:${adapter.name}`,
      `could not instrument ${adapter.name}; its calls are not tracked`,
      error,
    );
  }
}

/**
 * Patches every installed provider SDK, once (a patched method is never patched again), saying once when an
 * installed version is outside the range its table was checked against. What require() reaches is patched now;
 * the ESM instance `import` sees is patched when `import()` settles — the returned promise — which matters only
 * under loaders (tsx) that give require() its own copy of ESM packages.
 */
export function patchProviders(): Promise<void> {
  const current = ++generation;
  const pending: Promise<void>[] = [];
  for (const adapter of PROVIDERS) {
    const { loaded, versions, imported } = loadSdkInstances(adapter.pkg);
    for (const version of versions) checkSdkVersion(adapter.pkg, version, adapter.supported);
    for (const sdk of loaded) patchInstance(adapter, sdk);
    pending.push(
      imported.then((mods) => {
        if (current === generation) for (const sdk of mods) patchInstance(adapter, sdk);
      }),
    );
  }
  return Promise.all(pending).then(() => undefined);
}

export function unpatchProviders(): void {
  generation++;
  finishAbandonedCalls();
  for (const undo of undos.reverse()) undo();
  undos = [];
}
