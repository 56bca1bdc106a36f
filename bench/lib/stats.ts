/** The p-th percentile (0–100) of `values` by nearest rank; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** `a / b` rounded to `digits` decimals; null when b is 0. */
export function ratio(a: number, b: number, digits = 2): number | null {
  if (b === 0) return null;
  const scale = 10 ** digits;
  return Math.round((a / b) * scale) / scale;
}
