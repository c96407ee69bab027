/**
 * Splits an exact integer `total` in proportion to non-negative integer `weights` by the largest-remainder
 * method: the parts are integers that sum to `total` exactly (ties go to the earlier weight). Returns null
 * when no weight is positive (there is nothing to be proportional to).
 */
export function splitProportionally(total: number, weights: readonly number[]): number[] | null {
  const sum = weights.reduce((s, w) => s + BigInt(Math.max(0, w)), 0n);
  if (sum === 0n) return null;
  const big = BigInt(total);
  const parts: number[] = [];
  const rests: { index: number; rest: bigint }[] = [];
  let assigned = 0n;
  weights.forEach((w, index) => {
    const scaled = big * BigInt(Math.max(0, w));
    // BigInt division truncates toward zero: for a negative total the remainders are ≤ 0, handled below.
    const share = scaled / sum;
    parts.push(Number(share));
    assigned += share;
    if (w > 0) rests.push({ index, rest: scaled % sum });
  });
  let left = big - assigned;
  const step = left >= 0n ? 1n : -1n;
  // Positive leftovers go to the largest remainders; negative ones to the most negative.
  rests.sort((a, b) => {
    const d = step > 0n ? b.rest - a.rest : a.rest - b.rest;
    return d === 0n ? a.index - b.index : d > 0n ? 1 : -1;
  });
  for (let i = 0; left !== 0n; i = (i + 1) % rests.length) {
    parts[rests[i]!.index]! += Number(step);
    left -= step;
  }
  return parts;
}
