import { ConfigError, countParams, createModel, windowOutput } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { bnInception, seBnInception } from '../src/index.js';

/**
 * One training-mode forward and backward pass on one image; checks that every gradient (of the
 * weights whose names start with one of `prefixes`, or of all) is finite; returns their number.
 */
function trainStep(model: tf.LayersModel, size: number, prefixes?: string[]) {
  const x = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.tensor1d([2], 'int32'), 3);
  if (!prefixes) {
    // Inference mode (BN running statistics) through the softmax head.
    const probabilities = model.predict(x) as tf.Tensor;
    expect(probabilities.shape).toEqual([1, 3]);
    expect(tf.sum(probabilities).dataSync()[0]).toBeCloseTo(1, 5);
  }
  const variables = model.trainableWeights
    .filter((w) => !prefixes || prefixes.some((p) => w.originalName.startsWith(p)))
    .map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor),
    variables,
  );
  expect(Number.isFinite(value.dataSync()[0])).toBe(true);
  expect(Object.keys(grads).length).toBe(variables.length);
  for (const g of Object.values(grads)) expect(tf.all(tf.isFinite(g)).dataSync()[0]).toBe(1);
  return variables.length;
}

const small = (size: number) => ({
  inputShape: [size, size, 3] as [number, number, number],
  classes: 3,
});

describe('forward and backward on the CPU backend at the smallest input, batch 1', () => {
  it('se_bninception at 31²: every trainable tensor gets a finite gradient', () => {
    const model = createModel('se_bninception', small(31));
    expect(trainStep(model, 31)).toBe(model.trainableWeights.length);
    model.dispose();
  });

  // The CPU backend's convolution gradients are slow on these wide networks, so the backward
  // pass is checked on the last stage (SE modules with factorised kernels and the head) while
  // the forward pass runs through the whole model.
  it('se_inception_v3 at 75²: forward through all, finite gradients for Mixed_7a…fc', () => {
    const model = createModel('se_inception_v3', small(75));
    expect((model.getLayer('Mixed_7c.se').output as tf.SymbolicTensor).shape).toEqual([
      null,
      1,
      1,
      2048,
    ]);
    // Mixed_7a: 6 ConvNormAct (kernel, γ, β) + SE (4); Mixed_7b/7c: 9 + SE each; fc (2).
    expect(trainStep(model, 75, ['Mixed_7', 'fc'])).toBe(6 * 3 + 4 + 2 * (9 * 3 + 4) + 2);
    model.dispose();
  });

  it('se_inception_resnet_v2 at 75²: forward through all, finite gradients for the last blocks', () => {
    const model = createModel('se_inception_resnet_v2', small(75));
    expect((model.getLayer('conv2d_7b.act').output as tf.SymbolicTensor).shape).toEqual([
      null,
      1,
      1,
      1536,
    ]);
    // repeat_2.8 and block8: 4 ConvNormAct (3 tensors), conv2d (2), SE (4) each; conv2d_7b; classif.
    expect(trainStep(model, 75, ['repeat_2.8.', 'block8.', 'conv2d_7b', 'classif'])).toBe(
      2 * (4 * 3 + 2 + 4) + 3 + 2,
    );
    model.dispose();
  });

  it('a BN-Inception built for any size runs at 31² and 63²', () => {
    const model = bnInception({ inputShape: [null, null, 3], classes: 4 });
    expect((model.predict(tf.zeros([1, 31, 31, 3])) as tf.Tensor).shape).toEqual([1, 4]);
    expect((model.predict(tf.zeros([1, 63, 63, 3])) as tf.Tensor).shape).toEqual([1, 4]);
    model.dispose();
  });

  it('includeTop: false gives the feature map or, with pooling, the features', () => {
    const map = seBnInception({ includeTop: false, inputShape: [63, 63, 3] });
    expect(map.outputs[0]?.shape).toEqual([null, 2, 2, 1024]);
    const pooled = seBnInception({ includeTop: false, pooling: 'max', inputShape: [63, 63, 3] });
    expect(pooled.outputs[0]?.shape).toEqual([null, 1024]);
    map.dispose();
    pooled.dispose();
  });
});

describe('the minimum input sizes are the real ones', () => {
  /** Side of Inception-v3's / Inception-ResNet-v2's last grid (timm's unpadded layers). */
  const lastGrid = (size: number) => {
    const valid3x3s2 = (n: number) => windowOutput(n, 3, 2, 0, 0) ?? 0;
    let n = valid3x3s2(size) - 2; // Conv2d_1a (3×3/2), Conv2d_2a (3×3); 2b is padded
    n = valid3x3s2(n) - 2; // Pool1, Conv2d_4a (3×3)
    n = valid3x3s2(n); // Pool2
    return valid3x3s2(valid3x3s2(n)); // Mixed_6a, Mixed_7a
  };
  it('75 for Inception-v3 and Inception-ResNet-v2: 74 leaves Mixed_7a no output', () => {
    expect(lastGrid(75)).toBe(1);
    expect(lastGrid(74)).toBe(0);
    expect(lastGrid(299)).toBe(8);
    for (const name of ['inception_v3', 'inception_resnet_v2'] as const) {
      expect(() => createModel(name, { inputShape: [74, 80, 3] })).toThrow(
        "Invalid inputShape height: 74. Expected null or an integer ≥ 75 (this network's smallest input) in [74, 80, 3].",
      );
    }
    expect(() => createModel('se_inception_v3', { inputShape: [80, 74, 3] })).toThrow(ConfigError);
  });
  it('31 for BN-Inception, and only sizes whose Caffe reductions fit', () => {
    expect(() => bnInception({ inputShape: [30, 30, 3] })).toThrow(
      "Invalid inputShape height: 30. Expected null or an integer ≥ 31 (this network's smallest input) in [30, 30, 3].",
    );
    expect(() => seBnInception({ inputShape: [224, 299, 3] })).toThrow(
      'Invalid inputShape width: 299. Expected a size whose Caffe reductions fit, 32k − 1 … 32k + 6 (e.g. 224); nearest: 294 or 319.',
    );
    expect(() => bnInception({ inputShape: [39, 39, 3] })).toThrow(/nearest: 38 or 63\./);
  });
});

describe('SE options', () => {
  const se = (c: number) => 2 * c * Math.floor(c / 16) + Math.floor(c / 16) + c;
  it('stages pick the modules of one resolution (BN-Inception 3a–3c); bias: false drops biases', () => {
    const params = (options: Parameters<typeof bnInception>[0]) => {
      const model = bnInception({ inputShape: [31, 31, 3], ...options });
      const count = countParams(model);
      model.dispose();
      return count;
    };
    const plain = params({});
    expect(plain).toBe(11_285_224);
    expect(params({ se: { stages: [1] } })).toBe(plain + se(256) + se(320) + se(576));
    const widths = [256, 320, 576, 576, 576, 608, 608, 1056, 1024, 1024];
    expect(params({ se: { bias: false } })).toBe(
      plain + widths.reduce((sum, c) => sum + 2 * c * Math.floor(c / 16), 0),
    );
  });
  it('invalid SE options are clear errors', () => {
    expect(() => createModel('se_inception_v3', { se: { stages: [4] } })).toThrow(
      'Invalid se.stages: 4. Expected an integer in [1, 3].',
    );
    expect(() => createModel('se_inception_resnet_v2', { se: { position: 'pre' } })).toThrow(
      'Invalid se.position: "pre". Expected \'standard\' (the Inception networks put SE after each module, or on the residual branch).',
    );
    expect(() => createModel('bninception', { weights: 'imagenet' as never })).toThrow(
      /Invalid weights: "imagenet"/,
    );
  });
});
