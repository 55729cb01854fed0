/**
 * Latency statistics for the benchmarks: nearest-rank percentiles and a one-call summary.
 *
 * @example
 * ```ts
 * percentile([5, 1, 3, 2, 4], 50); // 3
 * summarize([12.1, 9.8, 40.2]).p99; // 40.2
 * ```
 */

/** What the benchmark tables print about a set of durations (milliseconds). */
export interface Summary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The `p`-th percentile (0 < p ≤ 100) of `values` by the nearest-rank method: the smallest
 * value with at least p % of the values at or below it, so p99 of 200 runs is the 198th
 * fastest, never an interpolation between two. Throws on an empty list or a p out of range.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("percentile: no values");
  if (!(p > 0 && p <= 100)) throw new Error(`percentile: p must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Count, min, p50, p99, max and mean of `values`; throws on an empty list. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error("summarize: no values");
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return {
    count: values.length,
    min,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max,
    mean: sum / values.length,
  };
}
