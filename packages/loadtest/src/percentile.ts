/** The nearest-rank percentile of ascending values (0 for none). */
export const percentile = (sorted: ArrayLike<number>, p: number) =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);
