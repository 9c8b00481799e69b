/** Summary statistics for comparing SE against plain over seeds. */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Arithmetic mean (NaN for no values). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1 in the denominator; 0 for one value). */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

/** The 97.5 % quantile of Student's t with `df` degrees of freedom: a two-sided 95 % interval. */
export function tQuantile95(df: number): number {
  if (!(df >= 1)) return Number.NaN;
  return tQuantile(0.975, df);
}

/** A mean with its 95 % confidence interval. */
export interface Interval {
  mean: number;
  low: number;
  high: number;
  /** Number of pairs (or values) it rests on. */
  n: number;
  /** Sample standard deviation of the values (0 for one value). */
  std: number;
}

/**
 * The paired difference `b − a` over matching seeds, with a t-based 95 % interval
 * (mean ± t·s/√n). One pair gives an interval of NaN width: a single seed proves nothing.
 */
export function pairedDifference(a: readonly number[], b: readonly number[]): Interval {
  if (a.length !== b.length)
    throw new Error(`pairedDifference: ${a.length} values against ${b.length}`);
  const diffs = b.map((v, i) => v - (a[i] ?? Number.NaN));
  const m = mean(diffs);
  const std = sampleStd(diffs);
  const half = diffs.length < 2 ? Number.NaN : halfWidth(std, diffs.length);
  return { mean: m, low: m - half, high: m + half, n: diffs.length, std };
}

/** Half the width of a 95 % t-interval of the mean of `n` values of sample std `std`. */
export function halfWidth(std: number, n: number): number {
  return (tQuantile95(n - 1) * std) / Math.sqrt(n);
}

/**
 * How many seeds a paired comparison needs for its 95 % interval to be at most ±`target` wide,
 * if the seed-to-seed spread stays `std`: the least n ≥ 2 with t(n−1)·std/√n ≤ target. Null
 * when the spread is unknown (fewer than two seeds).
 */
export function seedsForHalfWidth(std: number, target: number, max = 100_000): number | null {
  if (!Number.isFinite(std) || std < 0 || !(target > 0)) return null;
  // t·s/√n falls monotonically with n: a doubling search, then bisection.
  let high = 2;
  while (halfWidth(std, high) > target) {
    if (high >= max) return max;
    high *= 2;
  }
  let low = Math.max(2, high / 2);
  if (halfWidth(std, low) <= target) return low;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (halfWidth(std, mid) <= target) high = mid;
    else low = mid;
  }
  return high;
}
