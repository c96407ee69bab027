/** An adapter's input estimate, never throwing, never negative. */
export function safeEstimate(estimate: () => number): number {
  try {
    return Math.max(0, Math.round(estimate()));
  } catch {
    return 0;
  }
}
