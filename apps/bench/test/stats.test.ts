import { describe, expect, it } from 'vitest';
import { mean, pairedDifference, sampleStd, tQuantile95 } from '../src/bench/stats.js';

describe('statistics', () => {
  it('mean and sample standard deviation by hand', () => {
    expect(mean([0.9, 0.92, 0.94])).toBeCloseTo(0.92, 12);
    // Deviations −0.02, 0, 0.02: √(0.0008 / 2) = 0.02.
    expect(sampleStd([0.9, 0.92, 0.94])).toBeCloseTo(0.02, 12);
    expect(sampleStd([0.5])).toBe(0);
  });
  it('a paired difference with its t interval', () => {
    // Differences 0.01, 0.02, 0.03: mean 0.02, s = 0.01, t(2) = 4.303, half-width 4.303·0.01/√3.
    const d = pairedDifference([0.9, 0.9, 0.9], [0.91, 0.92, 0.93]);
    const half = (4.303 * 0.01) / Math.sqrt(3);
    expect(d.mean).toBeCloseTo(0.02, 12);
    expect(d.low).toBeCloseTo(0.02 - half, 12);
    expect(d.high).toBeCloseTo(0.02 + half, 12);
    expect(d.n).toBe(3);
    expect(Number.isNaN(pairedDifference([1], [2]).low)).toBe(true);
    expect(() => pairedDifference([1, 2], [1])).toThrow('pairedDifference: 2 values against 1');
  });
  it('t quantiles', () => {
    expect([tQuantile95(1), tQuantile95(4), tQuantile95(30), tQuantile95(100)]).toEqual([
      12.706, 2.776, 2.042, 1.96,
    ]);
  });
});
