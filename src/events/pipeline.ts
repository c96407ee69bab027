import { log } from "../log.js";
import type { KpiRecord, Sink, UsageEvent } from "../types.js";

/**
 * Hands each finished event to `onEvent` and to every sink, synchronously and cheaply: sinks own their
 * batching (the ledger queues and writes off the call path). Nothing a sink or callback does — throw or
 * reject — reaches the provider call; each failure is logged once per sink.
 */
export class EventPipeline {
  constructor(
    readonly sinks: readonly Sink[],
    private readonly onEvent: ((event: UsageEvent) => void) | undefined,
  ) {}

  /** Lets sinks capture what they need from the caller's async context (e.g. the active OTel span). */
  captureContexts(): unknown[] | undefined {
    let contexts: unknown[] | undefined;
    for (let i = 0; i < this.sinks.length; i++) {
      const sink = this.sinks[i]!;
      if (!sink.captureContext) continue;
      try {
        contexts ??= [];
        contexts[i] = sink.captureContext();
      } catch (error) {
        log.errorOnce(`sink-capture:${sink.name}`, `sink "${sink.name}" failed to capture context`, error);
      }
    }
    return contexts;
  }

  emit(event: UsageEvent, contexts?: unknown[]): void {
    if (this.onEvent) {
      try {
        this.onEvent(event);
      } catch (error) {
        log.errorOnce("onEvent", "onEvent callback threw; the call itself was not affected", error);
      }
    }
    for (let i = 0; i < this.sinks.length; i++) {
      const sink = this.sinks[i]!;
      try {
        const pending = sink.write([{ event, callContext: contexts?.[i] }]);
        if (pending) pending.then(undefined, (error) => this.sinkFailed(sink, error));
      } catch (error) {
        this.sinkFailed(sink, error);
      }
    }
  }

  /** KPI records (`recordKpi`) go to the sinks that take them, on the same terms as events. */
  emitKpi(record: KpiRecord): void {
    for (const sink of this.sinks) {
      if (!sink.writeKpis) continue;
      try {
        const pending = sink.writeKpis([record]);
        if (pending) pending.then(undefined, (error) => this.sinkFailed(sink, error));
      } catch (error) {
        this.sinkFailed(sink, error);
      }
    }
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => this.settle(sink, "flush")));
  }

  async shutdown(sinks: readonly Sink[] = this.sinks): Promise<void> {
    await Promise.all(sinks.map((sink) => this.settle(sink, sink.shutdown ? "shutdown" : "flush")));
  }

  private async settle(sink: Sink, step: "flush" | "shutdown"): Promise<void> {
    try {
      await sink[step]?.();
    } catch (error) {
      log.errorOnce(`sink-${step}:${sink.name}`, `sink "${sink.name}" failed to ${step}`, error);
    }
  }

  private sinkFailed(sink: Sink, error: unknown): void {
    log.errorOnce(`sink-write:${sink.name}`, `sink "${sink.name}" failed to write events`, error);
  }
}
