import type { Fault, MockOperation, MockProviderName } from "./types.js";

interface Pending {
  fault: Fault;
  remaining: number;
}

export interface FaultTarget {
  provider: MockProviderName;
  operation: MockOperation;
  stream: boolean;
}

/**
 * Faults wait in FIFO order; a request takes the first one that matches it. A fault matches when its
 * `provider`/`operation` filters (if any) match, and a disconnect or chunk-delay fault matches streaming
 * requests only (there is nothing to cut or pace in a JSON body). Each fault serves `times` requests (default 1), then is gone.
 */
export class FaultQueue {
  private readonly pending: Pending[] = [];

  enqueue(fault: Fault): void {
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`fault.times must be a positive integer`);
    if ("chunkDelayMs" in fault && !(fault.chunkDelayMs >= 0)) {
      throw new RangeError(`fault.chunkDelayMs must be ≥ 0`);
    }
    if ("disconnectAfterChunks" in fault && !(fault.disconnectAfterChunks >= 0)) {
      throw new RangeError(`fault.disconnectAfterChunks must be ≥ 0`);
    }
    this.pending.push({ fault, remaining: times });
  }

  take(target: FaultTarget): Fault | undefined {
    const index = this.pending.findIndex((p) => matches(p.fault, target));
    if (index < 0) return undefined;
    const entry = this.pending[index]!;
    entry.remaining--;
    if (entry.remaining === 0) this.pending.splice(index, 1);
    return entry.fault;
  }

  clear(): void {
    this.pending.length = 0;
  }
}

function matches(fault: Fault, target: FaultTarget): boolean {
  if (fault.provider !== undefined && fault.provider !== target.provider) return false;
  if (fault.operation !== undefined && fault.operation !== target.operation) return false;
  if (("disconnectAfterChunks" in fault || "chunkDelayMs" in fault) && !target.stream) return false;
  return true;
}
