import { log } from "../log.js";
import { patchAnthropic } from "./anthropic/index.js";
import { patchBedrock } from "./bedrock/index.js";
import { finishAbandonedCalls } from "./call-record.js";
import { loadSdkInstances } from "./load-sdk.js";
import { patchOpenAI } from "./openai/index.js";

type Undo = (() => void) | undefined;

/** One entry per provider SDK: the package to find, and how to patch one loaded instance of it. */
const adapters: { name: string; pkg: string; patch: (sdk: Record<string, unknown>) => Undo[] }[] = [
  { name: "openai", pkg: "openai", patch: patchOpenAI },
  { name: "anthropic", pkg: "@anthropic-ai/sdk", patch: patchAnthropic },
  { name: "bedrock", pkg: "@aws-sdk/client-bedrock-runtime", patch: patchBedrock },
];

let undos: (() => void)[] = [];
let generation = 0;

function patchInstance(
  name: string,
  patch: (sdk: Record<string, unknown>) => Undo[],
  sdk: Record<string, unknown>,
) {
  try {
    for (const undo of patch(sdk)) if (undo) undos.push(undo);
  } catch (error) {
    log.errorOnce(`patch:${name}`, `could not instrument ${name}; its calls are not tracked`, error);
  }
}

/**
 * Patches every installed provider SDK, once (a patched method is never patched again). What require()
 * reaches is patched now; the ESM instance `import` sees is patched when `import()` settles — the returned
 * promise — which matters only under loaders (tsx) that give require() its own copy of ESM packages.
 */
export function patchProviders(): Promise<void> {
  const current = ++generation;
  const pending: Promise<void>[] = [];
  for (const { name, pkg, patch } of adapters) {
    const { loaded, imported } = loadSdkInstances(pkg);
    for (const sdk of loaded) patchInstance(name, patch, sdk);
    pending.push(
      imported.then((mods) => {
        if (current === generation) for (const sdk of mods) patchInstance(name, patch, sdk);
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
