import { describe, expect, it } from 'vitest';
import {
  mean,
  pairedDifference,
  sampleStd,
  seedsForHalfWidth,
  tQuantile95,
} from '../src/experiment/statistics.js';

describe('statistics', () => {
  it('mean and sample standard deviation by hand', () => {
    expect(mean([0.9, 0.92, 0.94])).toBeCloseTo(0.92, 12);
    // Deviations −0.02, 0, 0.02: √(0.0008 / 2) = 0.02.
    expect(sampleStd([0.9, 0.92, 0.94])).toBeCloseTo(0.02, 12);
    expect(sampleStd([0.5])).toBe(0);
  });
  it('a paired difference with its t interval', () => {
    // Differences 0.01, 0.02, 0.03: mean 0.02, s = 0.01, t(2) = 4.302653, half-width t·0.01/√3.
    const d = pairedDifference([0.9, 0.9, 0.9], [0.91, 0.92, 0.93]);
    const half = (4.302652729911275 * 0.01) / Math.sqrt(3);
    expect(d.mean).toBeCloseTo(0.02, 12);
    expect(d.low).toBeCloseTo(0.02 - half, 11);
    expect(d.high).toBeCloseTo(0.02 + half, 11);
    expect(d.n).toBe(3);
    expect(Number.isNaN(pairedDifference([1], [2]).low)).toBe(true);
    expect(() => pairedDifference([1, 2], [1])).toThrow('pairedDifference: 2 values against 1');
  });
  it('t quantiles for any degrees of freedom (the published table, to its 3 decimals)', () => {
    const table: [number, number][] = [
      [1, 12.706],
      [4, 2.776],
      [30, 2.042],
      [31, 2.04],
      [40, 2.021],
      [60, 2.0],
      [100, 1.984],
      [1000, 1.962],
    ];
    for (const [df, t] of table) expect(tQuantile95(df)).toBeCloseTo(t, 3);
    expect(tQuantile95(0)).toBeNaN();
  });
  it('the seeds an interval of ±0.5 pp needs, from the observed spread', () => {
    // s = 0.01: n = 18 gives 2.1098·0.01/√18 = 0.004973 ≤ 0.005; n = 17: 2.1199·0.01/√17 = 0.005142.
    expect(seedsForHalfWidth(0.01, 0.005)).toBe(18);
    // The smoke test's 2 seeds with a 12.7 pp spread (±18 pp with 2 seeds): t ≈ 1.9608, n ≥ (1.9608·25.4)² = 2,480.4.
    expect(seedsForHalfWidth(0.127, 0.005)).toBe(2481);
    expect(seedsForHalfWidth(0, 0.005)).toBe(2);
    expect(seedsForHalfWidth(Number.NaN, 0.005)).toBeNull();
  });
});
