import { describe, expect, it } from 'vitest';
import { ConfigError, describeRecipe, getRecipe, learningRateAt, RECIPES } from '../src/index.js';

describe('training recipes', () => {
  it("He et al.'s steps: ÷10 at 50 % and 75 % of the run", () => {
    const run = { ...RECIPES['he2016-cifar'], epochs: 8 };
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((e) => learningRateAt(run, e))).toEqual([
      0.05,
      0.05,
      0.05,
      0.05,
      0.05 * 0.1,
      0.05 * 0.1,
      0.05 * 0.1 * 0.1,
      0.05 * 0.1 * 0.1,
    ]);
  });
  it("Zagoruyko & Komodakis's steps: ×0.2 at epochs 60, 120, 160 of 200", () => {
    const run = { ...RECIPES['zagoruyko2016-wrn'], epochs: 200 };
    expect([59, 60, 119, 120, 159, 160, 199].map((e) => learningRateAt(run, e))).toEqual([
      0.1,
      0.1 * 0.2,
      0.1 * 0.2,
      0.1 * 0.2 ** 2,
      0.1 * 0.2 ** 2,
      0.1 * 0.2 ** 3,
      0.1 * 0.2 ** 3,
    ]);
  });
  it('cosine decay and a constant rate', () => {
    const cosine = { learningRate: 0.2, schedule: { type: 'cosine' } as const, epochs: 4 };
    // (1 + cos(π·e/4)) / 2 · 0.2 for e = 0, 1, 2: 0.2, 0.1707…, 0.1.
    expect(learningRateAt(cosine, 0)).toBe(0.2);
    expect(learningRateAt(cosine, 1)).toBeCloseTo(0.1 * (1 + Math.SQRT1_2), 15);
    expect(learningRateAt(cosine, 2)).toBeCloseTo(0.1, 15);
    expect(learningRateAt({ ...RECIPES['keras-cifar10-cnn'], epochs: 100 }, 99)).toBe(1e-3);
  });
  it('says itself in one line, and an unknown name lists the recipes', () => {
    expect(describeRecipe(RECIPES['zagoruyko2016-wrn'])).toBe(
      'SGD (Nesterov) momentum 0.9, learning rate 0.1 (×0.2 at 30 %, 60 %, 80 % of the epochs), weight decay 0.0005, batch 128, pad-2 random crops and horizontal flips',
    );
    expect(describeRecipe(RECIPES['keras-cifar10-cnn'])).toBe(
      'RMSprop ρ 0.9 ε 1e-7, learning rate 0.001 (constant), weight decay 0, batch 32, pad-3 random crops and horizontal flips',
    );
    expect(getRecipe('hu2018-imagenet')).toBe(RECIPES['hu2018-imagenet']);
    expect(() => getRecipe('adam')).toThrow(ConfigError);
    expect(() => getRecipe('adam')).toThrow(
      'Invalid recipe: "adam". Expected one of he2016-cifar, zagoruyko2016-wrn, keras-cifar10-cnn, hu2018-imagenet.',
    );
  });
});
