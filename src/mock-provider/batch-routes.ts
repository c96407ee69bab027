// The paths of the batch and file endpoints (served by batches.ts).
export const ANTHROPIC_BATCH = /^\/v1\/messages\/batches(?:\/([^/]+)(?:\/(results|cancel))?)?$/;
export const OPENAI_BATCH = /^\/v1\/batches(?:\/([^/]+)(?:\/(cancel))?)?$/;
export const OPENAI_FILE = /^\/v1\/files(?:\/([^/]+)(?:\/(content))?)?$/;

/** The provider whose batch or file endpoints a path names, if it is one. */
export function batchProviderOf(path: string): "openai" | "anthropic" | undefined {
  if (ANTHROPIC_BATCH.test(path)) return "anthropic";
  if (OPENAI_BATCH.test(path) || OPENAI_FILE.test(path)) return "openai";
  return undefined;
}
