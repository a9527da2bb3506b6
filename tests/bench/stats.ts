/**
 * The small statistics of the end-to-end benchmark: quantiles of raw
 * samples and of Prometheus histograms, and the min / median / max spread of
 * one figure over several runs.
 *
 * @module
 */

/**
 * Nearest-rank quantile of an ascending array; NaN when empty.
 *
 * @example
 * ```ts
 * import { quantile } from "./stats.ts";
 * console.assert(quantile([1, 2, 3, 4], 0.5) === 3);
 * ```
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Cumulative histogram buckets as `[upper bound, count]`, ascending. */
export type Buckets = readonly (readonly [number, number])[];

/**
 * Quantile of cumulative histogram buckets, interpolated inside the bucket
 * as Prometheus's `histogram_quantile` does; NaN when the histogram is empty.
 *
 * @example
 * ```ts
 * import { bucketQuantile } from "./stats.ts";
 * console.assert(bucketQuantile([[1, 50], [2, 100], [Infinity, 100]], 0.75) === 1.5);
 * ```
 */
export function bucketQuantile(buckets: Buckets, q: number): number {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      // Above the last finite bound nothing is known: report that bound.
      if (!Number.isFinite(le)) return prevLe;
      const inBucket = count - prevCount;
      return prevLe +
        (le - prevLe) * (inBucket === 0 ? 0 : (rank - prevCount) / inBucket);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** One figure over several runs. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  /** Runs that produced a number (NaN values are left out). */
  n: number;
}

/**
 * Min, median and max of the numbers among `values` (NaN left out; all NaN
 * when none is a number). The median of an even count is the mean of the
 * middle two.
 *
 * @example
 * ```ts
 * import { spread } from "./stats.ts";
 * const s = spread([3, NaN, 1, 2]);
 * console.assert(s.min === 1 && s.median === 2 && s.max === 3 && s.n === 3);
 * ```
 */
export function spread(values: readonly number[]): Spread {
  const xs = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (xs.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const mid = xs.length >> 1;
  const median = xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return { min: xs[0], median, max: xs[xs.length - 1], n: xs.length };
}
