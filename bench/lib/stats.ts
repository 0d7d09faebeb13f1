/** Small statistics over samples. */

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function sortNumbers(values: Float64Array | number[]): Float64Array {
  const copy = Float64Array.from(values);
  copy.sort();
  return copy;
}
