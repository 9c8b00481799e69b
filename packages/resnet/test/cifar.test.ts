import { countParams, createModel, type ModelName } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CIFAR_RESNET_DEPTHS, ZeroPadShortcut } from '../src/index.js';

/** Parameters of an SE block on C channels, ⌊C/16⌋ hidden units, with biases. */
const se = (c: number) => 2 * c * Math.floor(c / 16) + Math.floor(c / 16) + c;

const params = (name: ModelName, options = {}) => {
  const model = createModel(name, options);
  const n = countParams(model);
  model.dispose();
  return n;
};

describe('CIFAR ResNets (He et al. 2016), 10 classes', () => {
  // Stem 3·16·9 + 32; per n, one block in each stage: (2·2304 + 64) + (2·9216 + 128) + (2·36864 + 256)
  // = 97,216; stage 2 and 3 first blocks are narrower on input; classifier 64·10 + 10.
  const COUNTS: Record<(typeof CIFAR_RESNET_DEPTHS)[number], number> = {
    20: 269_722,
    32: 464_154,
    44: 658_586,
    56: 853_018,
    110: 1_727_962,
  };
  for (const depth of CIFAR_RESNET_DEPTHS) {
    const count = COUNTS[depth];
    it(`resnet${depth}: ${count.toLocaleString('en-US')} parameters, SE adds ⌊C/16⌋ blocks`, () => {
      expect(params(`resnet${depth}`)).toBe(count);
      const n = (Number(depth) - 2) / 6;
      expect(params(`seresnet${depth}`)).toBe(count + n * (se(16) + se(32) + se(64)));
    });
  }
  it('the option-A shortcut subsamples and zero-pads channels, by hand', () => {
    // A 4×4 single-channel map 1…16 → stride 2 keeps (0,0), (0,2), (2,0), (2,2); 1 → 3 channels.
    const x = tf.tensor4d(
      Array.from({ length: 16 }, (_, i) => i + 1),
      [1, 4, 4, 1],
    );
    const y = new ZeroPadShortcut({ stride: 2, channels: 3 }).apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 2, 3]);
    expect(Array.from(y.dataSync())).toEqual([0, 1, 0, 0, 3, 0, 0, 9, 0, 0, 11, 0]);
  });
});

describe('pre-activation ResNet-164 and WRN-16-8', () => {
  it('resnet164 has 1,703,258 parameters', () => {
    // Stem 432; stage sums 81,952 + 326,272 + 1,291,520 (bottleneck units with BN on each input,
    // 1×1 projections in the first unit of a stage); final BN 512; classifier 2,570.
    expect(params('resnet164')).toBe(432 + 81_952 + 326_272 + 1_291_520 + 512 + 2_570);
    expect(params('seresnet164')).toBe(1_703_258 + 18 * (se(64) + se(128) + se(256)));
  });
  it('wrn16_8 has 10,961,370 parameters', () => {
    expect(params('wrn16_8')).toBe(10_961_370);
    expect(params('se_wrn16_8')).toBe(10_961_370 + 2 * (se(128) + se(256) + se(512)));
  });
  it('every integration position builds on the pre-activation units', () => {
    const plain = params('resnet164', { inputShape: [8, 8, 3] });
    // SE-PRE sees each unit's input: 16 channels for the first unit, then the previous width.
    const pre = se(16) + 17 * se(64) + se(64) + 17 * se(128) + se(128) + 17 * se(256);
    expect(params('seresnet164', { inputShape: [8, 8, 3], se: { position: 'pre' } })).toBe(
      plain + pre,
    );
    expect(params('seresnet164', { inputShape: [8, 8, 3], se: { position: 'identity' } })).toBe(
      plain + 18 * (se(64) + se(128) + se(256)),
    );
    expect(params('seresnet164', { inputShape: [8, 8, 3], se: { position: '3x3' } })).toBe(
      plain + 18 * (se(16) + se(32) + se(64)),
    );
  });
});

describe('training on the CPU backend', () => {
  // One test per model: each gets the whole timeout (se_wrn16_8's 11 M weights take minutes of
  // the cpu backend's convolution gradients on a loaded 2-core machine).
  it.each(['seresnet20', 'se_wrn16_8'] as const)(
    '%s gives finite gradients for every weight at 8×8',
    (name) => {
      const model = createModel(name, {
        inputShape: [8, 8, 1],
        classes: 3,
        classifierActivation: 'linear',
      });
      const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 2);
      const y = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
      const { value, grads } = tf.variableGrads(() =>
        tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor),
      );
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      expect(Object.keys(grads).length).toBe(model.trainableWeights.length);
      for (const g of Object.values(grads)) expect(tf.all(tf.isFinite(g)).dataSync()[0]).toBe(1);
      model.dispose();
    },
    600_000,
  );
});
