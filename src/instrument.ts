import { resolveConfig, rootScope } from "./config.js";
import { setRootScope } from "./context/scope-tree.js";
import { EventPipeline } from "./events/pipeline.js";
import { log } from "./log.js";
import { patchProviders, unpatchProviders } from "./providers/registry.js";
import { getRuntime, setRuntime } from "./runtime.js";
import type { InstrumentConfig, Sink } from "./types.js";

export interface Instrumentation {
  /** Resolves once every event recorded so far is written by every sink. */
  flush(): Promise<void>;
  /** Flushes, closes what costtrail opened, and restores the providers' original methods. */
  shutdown(): Promise<void>;
}

/**
 * Starts costtrail: validates the config, sets up the root scope, the sinks and the provider patches.
 * Call it again to reconfigure; patches are never applied twice.
 */
export function instrument(config?: InstrumentConfig): Instrumentation {
  const resolved = resolveConfig(config);
  log.use(resolved.logger);
  const previous = getRuntime();
  const ownedSinks: Sink[] = [];
  const pipeline = new EventPipeline([...ownedSinks, ...resolved.sinks], resolved.onEvent);
  setRuntime({ config: resolved, pipeline, ownedSinks });
  setRootScope(resolved.globalInstrumentation ? rootScope(resolved.defaults) : undefined);
  patchProviders();
  if (previous) void previous.pipeline.shutdown(previous.ownedSinks);
  return handle;
}

const handle: Instrumentation = {
  async flush() {
    await getRuntime()?.pipeline.flush();
  },
  async shutdown() {
    const runtime = getRuntime();
    if (!runtime) return;
    unpatchProviders();
    setRuntime(undefined);
    setRootScope(undefined);
    await runtime.pipeline.flush();
    await runtime.pipeline.shutdown(runtime.ownedSinks);
  },
};
