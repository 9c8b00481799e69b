/** Summary statistics for comparing SE against plain over seeds. */

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

// Two-sided 97.5 % quantiles of Student's t for 1–30 degrees of freedom.
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

/** t quantile for a two-sided 95 % interval with `df` degrees of freedom (1.96 beyond 30). */
export function tQuantile95(df: number): number {
  if (df < 1) return Number.NaN;
  return T_975[df - 1] ?? 1.96;
}

/** A mean with its 95 % confidence interval. */
export interface Interval {
  mean: number;
  low: number;
  high: number;
  /** Number of pairs (or values) it rests on. */
  n: number;
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
  const half =
    diffs.length < 2
      ? Number.NaN
      : (tQuantile95(diffs.length - 1) * sampleStd(diffs)) / Math.sqrt(diffs.length);
  return { mean: m, low: m - half, high: m + half, n: diffs.length };
}
