/** What a sink does at process exit. Both must be synchronous: `exit` and a re-raised signal allow no async work. */
export interface ExitParticipant {
  /** Before any participant drains: finish what is still in progress (calls in flight) so that it is drained. */
  prepare?(): void;
  /** When the event loop runs dry: asynchronous work may start (and keeps the process alive). Default: drain. */
  beforeExit?(): void;
  /** Write what is buffered. */
  drain(): void;
  /** Last chance to report what could not be written (the process is going away). */
  finalReport(): void;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
type Signal = (typeof SIGNALS)[number];

interface Registry {
  participants: Set<ExitParticipant>;
  onBeforeExit: () => void;
  onExit: () => void;
  onSignal: Record<Signal, () => void>;
}

// Kept on globalThis so that two copies of this module (CJS and ESM builds, or two installed versions)
// share one set of process listeners: with one listener per copy, each would see the other as "someone
// else handles the signal" and nobody would re-raise it.
const REGISTRY = Symbol.for("costtrail.ledger.exitHooks");

function each(registry: Registry, step: "prepare" | "drain" | "finalReport"): void {
  for (const p of registry.participants) {
    try {
      p[step]?.();
    } catch {
      // Exit paths must never throw; the participant reports its own failures through its logger.
    }
  }
}

function createRegistry(): Registry {
  const registry: Registry = {
    participants: new Set(),
    onBeforeExit: () => {
      for (const p of registry.participants) {
        try {
          if (p.beforeExit) p.beforeExit();
          else p.drain();
        } catch {
          // As in each().
        }
      }
    },
    onExit: () => {
      each(registry, "prepare");
      each(registry, "drain");
      each(registry, "finalReport");
    },
    onSignal: {} as Record<Signal, () => void>,
  };
  for (const signal of SIGNALS) {
    const handler = (): void => {
      each(registry, "prepare");
      each(registry, "drain");
      // Someone else listens: they own the signal's outcome (graceful shutdown, ignoring it, …), so we
      // only drained. Otherwise our listener is what suppressed the default action: restore and re-raise it
      // so the process dies of the signal, with the exit status the parent expects.
      if (process.listeners(signal).some((l) => l !== handler)) return;
      each(registry, "finalReport");
      registry.participants.clear();
      uninstall(registry);
      process.kill(process.pid, signal);
    };
    registry.onSignal[signal] = handler;
  }
  return registry;
}

function install(registry: Registry): void {
  process.on("beforeExit", registry.onBeforeExit);
  process.on("exit", registry.onExit);
  for (const signal of SIGNALS) process.on(signal, registry.onSignal[signal]);
}

function uninstall(registry: Registry): void {
  process.off("beforeExit", registry.onBeforeExit);
  process.off("exit", registry.onExit);
  for (const signal of SIGNALS) process.off(signal, registry.onSignal[signal]);
}

function registry(): Registry {
  const holder = globalThis as { [REGISTRY]?: Registry };
  holder[REGISTRY] ??= createRegistry();
  return holder[REGISTRY];
}

/**
 * Drains `participant` on beforeExit, exit, SIGINT and SIGTERM. Process listeners are installed once for all
 * participants and removed with the last one. Returns the function that unregisters (idempotent).
 */
export function registerExitHooks(participant: ExitParticipant): () => void {
  const r = registry();
  if (r.participants.size === 0) install(r);
  r.participants.add(participant);
  return () => {
    if (!r.participants.delete(participant)) return;
    if (r.participants.size === 0) uninstall(r);
  };
}
