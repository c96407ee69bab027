import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { WriterThreadConfig } from "./worker-protocol.js";

/**
 * Starts the ledger's writer thread (ledger-worker.ts). From the compiled package it is a plain worker file; when
 * costtrail runs from its TypeScript sources (tests, `tsx`), the worker first registers tsx's loader, the same
 * one the parent runs under, since Node cannot load `.ts` files by itself.
 */
export function startWriterThread(config: WriterThreadConfig): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) {
    return new Worker(new URL("./ledger-worker.js", here), { workerData: config });
  }
  const entry = new URL("./ledger-worker.ts", here).href;
  // require.resolve finds the package's CommonJS build; the worker imports its ESM twin beside it.
  const api = createRequire(here)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  const tsx = pathToFileURL(api).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData: config });
}
