import { log } from "../log.js";
import { patchAnthropic } from "./anthropic/index.js";
import { finishAbandonedCalls } from "./call-record.js";
import { patchOpenAI } from "./openai/index.js";

const adapters: [string, () => ((() => void) | undefined)[]][] = [
  ["openai", patchOpenAI],
  ["anthropic", patchAnthropic],
];

let undos: (() => void)[] = [];

/** Patches every installed provider SDK, once; a provider that fails to patch is logged and skipped. */
export function patchProviders(): void {
  for (const [name, patch] of adapters) {
    try {
      for (const undo of patch()) if (undo) undos.push(undo);
    } catch (error) {
      log.errorOnce(`patch:${name}`, `could not instrument ${name}; its calls are not tracked`, error);
    }
  }
}

export function unpatchProviders(): void {
  finishAbandonedCalls();
  for (const undo of undos.reverse()) undo();
  undos = [];
}
