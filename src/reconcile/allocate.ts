import type { AttributedSpend } from "./ledger-side.js";
import { splitProportionally } from "./proportional.js";

export interface Allocation {
  day: string;
  useCaseName: string | null;
  accountName: string | null;
  /** The tracked spend the share was computed from, nano-USD. */
  basisNanos: number;
  allocatedNanos: number;
}

/**
 * Distributes each day's unexplained spend (provider minus ledger, when positive) over that day's use cases
 * and accounts in proportion to their tracked spend, to the nano-dollar (the shares sum to the gap exactly).
 * A day with a gap but no tracked spend goes to one unattributed share (use case and account null).
 */
export function allocateGap(
  gapByDay: ReadonlyMap<string, number>,
  spend: readonly AttributedSpend[],
): Allocation[] {
  const out: Allocation[] = [];
  for (const [day, gap] of [...gapByDay].sort(([a], [b]) => a.localeCompare(b))) {
    if (gap <= 0) continue;
    const basis = spend.filter((s) => s.day === day && s.costNanos > 0);
    const parts = splitProportionally(
      gap,
      basis.map((b) => b.costNanos),
    );
    if (parts === null) {
      out.push({ day, useCaseName: null, accountName: null, basisNanos: 0, allocatedNanos: gap });
      continue;
    }
    basis.forEach((b, i) => {
      out.push({
        day,
        useCaseName: b.useCaseName,
        accountName: b.accountName,
        basisNanos: b.costNanos,
        allocatedNanos: parts[i]!,
      });
    });
  }
  return out;
}
