import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm,
  ChannelShuffle,
  channelShuffle,
  GROUPED_CONV_METHODS,
  GroupedConv2D,
  groupedConv2d,
  groupedConvMethods,
  Pool2D,
  type Pool2DArgs,
} from '../src/index.js';

/** Grouped convolution the slow, obvious way: slice channels, convolve, concatenate. */
function groupedByHand(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  dilations: [number, number] = [1, 1],
): tf.Tensor4D {
  const inPer = x.shape[3] / groups;
  const outPer = kernel.shape[3] / groups;
  const parts: tf.Tensor4D[] = [];
  for (let g = 0; g < groups; g++) {
    const xg = tf.slice(x, [0, 0, 0, g * inPer], [-1, -1, -1, inPer]);
    const kg = tf.slice(kernel, [0, 0, 0, g * outPer], [-1, -1, -1, outPer]);
    parts.push(tf.conv2d(xg, kg, strides, 'valid', 'NHWC', dilations));
  }
  return tf.concat(parts, 3);
}

function expectTensorsClose(a: tf.Tensor, b: tf.Tensor, tolerance = 1e-5): void {
  expect(a.shape).toEqual(b.shape);
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Number.NaN;
  expect(diff).toBeLessThan(tolerance);
}

describe('grouped convolution', () => {
  const cases = [
    { name: '3 groups, 6 → 6, stride 1', c: 6, out: 6, groups: 3, strides: [1, 1] },
    { name: '2 groups, 4 → 8, stride 2', c: 4, out: 8, groups: 2, strides: [2, 2] },
    { name: 'depthwise, 4 → 4', c: 4, out: 4, groups: 4, strides: [1, 1] },
    { name: 'depthwise with multiplier 2, stride 2', c: 3, out: 6, groups: 3, strides: [2, 2] },
    { name: 'one group is a plain convolution', c: 3, out: 5, groups: 1, strides: [1, 1] },
  ] as const;
  for (const { name, c, out, groups, strides } of cases) {
    it(`${name}: forward and both gradients equal the by-hand split`, () => {
      const x = tf.randomNormal([2, 7, 7, c], 0, 1, 'float32', 1) as tf.Tensor4D;
      const k = tf.randomNormal([3, 3, c / groups, out], 0, 1, 'float32', 2) as tf.Tensor4D;
      const stride = [...strides] as [number, number];
      const ours = (xi: tf.Tensor4D, ki: tf.Tensor4D) =>
        groupedConv2d(xi, ki, groups, stride, 'valid', [1, 1]);
      const reference = (xi: tf.Tensor4D, ki: tf.Tensor4D) => groupedByHand(xi, ki, groups, stride);
      expectTensorsClose(ours(x, k), reference(x, k));
      const dy = tf.randomNormal(reference(x, k).shape, 0, 1, 'float32', 3);
      const g1 = tf.grads((xi: tf.Tensor, ki: tf.Tensor) =>
        ours(xi as tf.Tensor4D, ki as tf.Tensor4D),
      );
      const g2 = tf.grads((xi: tf.Tensor, ki: tf.Tensor) =>
        reference(xi as tf.Tensor4D, ki as tf.Tensor4D),
      );
      const [dx1, dk1] = g1([x, k], dy);
      const [dx2, dk2] = g2([x, k], dy);
      expectTensorsClose(dx1 as tf.Tensor, dx2 as tf.Tensor, 1e-4);
      expectTensorsClose(dk1 as tf.Tensor, dk2 as tf.Tensor, 1e-4);
    });
  }
  // Every method behind groupedConv2d, including padding 'same' at stride 2 and dilation (tfjs's
  // own convolutions have no gradient when dilated, so that case checks the forward pass only).
  const methodCases = [
    { c: 8, out: 12, groups: 4, strides: [1, 1], padding: 'valid', dilations: [1, 1] },
    { c: 8, out: 8, groups: 2, strides: [2, 2], padding: 'same', dilations: [1, 1] },
    { c: 6, out: 6, groups: 3, strides: [2, 1], padding: 'valid', dilations: [1, 1] },
    { c: 4, out: 8, groups: 2, strides: [1, 1], padding: 'same', dilations: [2, 2] },
  ] as const;
  for (const method of GROUPED_CONV_METHODS) {
    it(`method '${method}': forward and both gradients equal the by-hand split`, () => {
      for (const { c, out, groups, strides, padding, dilations } of methodCases) {
        const x = tf.randomNormal([2, 9, 8, c], 0, 1, 'float32', 4) as tf.Tensor4D;
        const k = tf.randomNormal([3, 3, c / groups, out], 0, 1, 'float32', 5) as tf.Tensor4D;
        const s: [number, number] = [strides[0], strides[1]];
        const d: [number, number] = [dilations[0], dilations[1]];
        const ours = (xi: tf.Tensor, ki: tf.Tensor) =>
          groupedConv2d(xi as tf.Tensor4D, ki as tf.Tensor4D, groups, s, padding, d, method);
        const reference = (xi: tf.Tensor, ki: tf.Tensor) => {
          const xs = tf.split(xi, groups, 3);
          const ks = tf.split(ki, groups, 3);
          return tf.concat(
            xs.map((xg, g) =>
              tf.conv2d(xg as tf.Tensor4D, ks[g] as tf.Tensor4D, s, padding, 'NHWC', d),
            ),
            3,
          );
        };
        expectTensorsClose(ours(x, k), reference(x, k), 1e-4);
        if (d[0] > 1) continue;
        const dy = tf.randomNormal(reference(x, k).shape, 0, 1, 'float32', 6);
        const [dx1, dk1] = tf.grads(ours)([x, k], dy);
        const [dx2, dk2] = tf.grads(reference)([x, k], dy);
        expectTensorsClose(dx1 as tf.Tensor, dx2 as tf.Tensor, 1e-4);
        expectTensorsClose(dk1 as tf.Tensor, dk2 as tf.Tensor, 1e-4);
      }
    });
  }
  it("uses the backend's method from groupedConvMethods", () => {
    const saved = { ...groupedConvMethods };
    try {
      const x = tf.randomNormal([1, 5, 5, 4], 0, 1, 'float32', 7) as tf.Tensor4D;
      const k = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 8) as tf.Tensor4D;
      const results = GROUPED_CONV_METHODS.map((method) => {
        groupedConvMethods[tf.getBackend()] = method;
        return groupedConv2d(x, k, 2, [1, 1], 'valid', [1, 1]);
      });
      for (const y of results.slice(1)) expectTensorsClose(y, results[0] as tf.Tensor, 1e-5);
    } finally {
      Object.assign(groupedConvMethods, saved);
    }
  });
  it('a 1-channel depthwise 2×2 kernel on a 3×3 image, by hand', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const k = tf.tensor4d([1, 0, 0, -1], [2, 2, 1, 1]);
    // Each output is x[i][j] − x[i+1][j+1] = −4.
    expect(Array.from(groupedConv2d(x, k, 1, [1, 1], 'valid', [1, 1]).dataSync())).toEqual([
      -4, -4, -4, -4,
    ]);
  });
  it('the layer stores a PyTorch-shaped kernel and counts its MACs', () => {
    const layer = new GroupedConv2D({ filters: 8, kernelSize: 3, groups: 4, name: 'g' });
    const y = layer.apply(tf.input({ shape: [6, 6, 8] })) as tf.SymbolicTensor;
    expect(y.shape).toEqual([null, 4, 4, 8]);
    expect(layer.getWeights()[0]?.shape).toEqual([3, 3, 2, 8]);
    expect(layer.macs([], [1, 4, 4, 8])).toBe(4 * 4 * 8 * 3 * 3 * 2);
  });
  it('rejects groups that do not divide the channels', () => {
    expect(() => new GroupedConv2D({ filters: 8, kernelSize: 3, groups: 3, name: 'g' })).toThrow(
      "Invalid layer 'g' groups: 3. Expected a divisor of the 8 output filters.",
    );
    const layer = new GroupedConv2D({ filters: 8, kernelSize: 3, groups: 4, name: 'g2' });
    expect(() => layer.apply(tf.input({ shape: [6, 6, 6] }))).toThrow(
      "Invalid layer 'g2' groups: 4. Expected a divisor of the 6 input channels.",
    );
  });
});

describe('channel shuffle', () => {
  it('is the exact permutation i·(C/g) + k → k·g + i', () => {
    const x = tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 1, 1, 6]);
    expect(Array.from(channelShuffle(x, 2).dataSync())).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(channelShuffle(x, 3).dataSync())).toEqual([0, 2, 4, 1, 3, 5]);
  });
  it('as a layer, and rejects a group count that does not divide the channels', () => {
    const layer = new ChannelShuffle({ groups: 3, name: 'shuffle' });
    const out = layer.apply(tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 1, 1, 6])) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([0, 2, 4, 1, 3, 5]);
    expect(() =>
      new ChannelShuffle({ groups: 4, name: 's' }).apply(tf.input({ shape: [2, 2, 6] })),
    ).toThrow("Invalid layer 's' groups: 4. Expected a divisor of the 6 input channels.");
  });
});

describe('Pool2D with PyTorch semantics', () => {
  const grid = tf.tensor4d(
    Array.from({ length: 16 }, (_, i) => i + 1),
    [1, 4, 4, 1],
  );
  const pool = (args: Pool2DArgs, x = grid) =>
    Array.from((new Pool2D(args).apply(x) as tf.Tensor).dataSync());
  it('max, 3×3/2, padding 1 pads with −∞ (timm stem)', () => {
    expect(pool({ mode: 'max', poolSize: 3, strides: 2, padding: 1 })).toEqual([6, 8, 14, 16]);
    // With zero padding the first window of a negative image would be 0, not −1.
    expect(
      pool({ mode: 'max', poolSize: 3, strides: 2, padding: 1 }, tf.neg(grid) as tf.Tensor4D),
    ).toEqual([-1, -2, -5, -6]);
  });
  it('max, 3×3/2, ceil mode (Caffe stem)', () => {
    expect(pool({ mode: 'max', poolSize: 3, strides: 2, ceilMode: true })).toEqual([
      11, 12, 15, 16,
    ]);
  });
  it('avg counts padding in the divisor by default, and not when asked', () => {
    const withPad = pool({ mode: 'avg', poolSize: 3, strides: 2, padding: 1 });
    expectNumbers(withPad, [14 / 9, 30 / 9, 57 / 9, 99 / 9]);
    const withoutPad = pool({
      mode: 'avg',
      poolSize: 3,
      strides: 2,
      padding: 1,
      countIncludePad: false,
    });
    expectNumbers(withoutPad, [14 / 4, 30 / 6, 57 / 6, 99 / 9]);
  });
  it('avg in ceil mode divides the overhanging windows by what they cover', () => {
    expectNumbers(pool({ mode: 'avg', poolSize: 3, strides: 2, ceilMode: true }), [
      54 / 9,
      45 / 6,
      72 / 6,
      54 / 4,
    ]);
  });
  it('computes PyTorch output sizes', () => {
    const shape = (args: Pool2DArgs, size: number) =>
      (new Pool2D(args).apply(tf.input({ shape: [size, size, 1] })) as tf.SymbolicTensor).shape;
    expect(shape({ mode: 'max', poolSize: 3, strides: 2, padding: 1 }, 112)).toEqual([
      null,
      56,
      56,
      1,
    ]);
    expect(shape({ mode: 'max', poolSize: 3, strides: 2, ceilMode: true }, 112)).toEqual([
      null,
      56,
      56,
      1,
    ]);
    expect(shape({ mode: 'max', poolSize: 3, strides: 2, ceilMode: true }, 28)).toEqual([
      null,
      14,
      14,
      1,
    ]);
    expect(shape({ mode: 'max', poolSize: 3, strides: 2 }, 28)).toEqual([null, 13, 13, 1]);
  });
});

describe('BatchNorm with PyTorch semantics', () => {
  it('normalises with batch statistics in training and updates running ones unbiasedly', () => {
    const bn = new BatchNorm({ name: 'bn' });
    // Channel 0: 1, 3 (mean 2, biased variance 1, unbiased 2). Channel 1: 4, 4.
    const x = tf.tensor4d([1, 4, 3, 4], [2, 1, 1, 2]);
    const y = bn.apply(x, { training: true }) as tf.Tensor;
    const s = 1 / Math.sqrt(1 + 1e-5);
    expectNumbers(Array.from(y.dataSync()), [-s, 0, s, 0]);
    const [, , mean, variance] = bn.getWeights();
    expectNumbers(Array.from(mean?.dataSync() ?? []), [0.2, 0.4]);
    expectNumbers(Array.from(variance?.dataSync() ?? []), [0.9 + 0.1 * 2, 0.9]);
  });
  it('uses the running statistics at inference', () => {
    const bn = new BatchNorm({ name: 'bn2', epsilon: 1e-3 });
    bn.apply(tf.input({ shape: [1, 1, 1] }));
    bn.setWeights([tf.tensor1d([2]), tf.tensor1d([1]), tf.tensor1d([3]), tf.tensor1d([4 - 1e-3])]);
    const y = bn.apply(tf.tensor4d([5], [1, 1, 1, 1])) as tf.Tensor;
    expectNumbers(Array.from(y.dataSync()), [2 * ((5 - 3) / 2) + 1]);
  });
});

function expectNumbers(actual: number[], expected: number[], tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (const [i, v] of actual.entries())
    expect(Math.abs(v - (expected[i] ?? Number.NaN))).toBeLessThan(tolerance);
}
