import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BatchNorm,
  batchNormTraining,
  channelScale,
  type FcForm,
  fusedOps,
  fusedSqueezeExcite,
  GATE_KINDS,
  SqueezeExcite,
  type SqueezeMode,
} from '../src/index.js';

afterEach(() => {
  fusedOps.batchNorm = true;
  fusedOps.squeezeExcite = true;
  fusedOps.tileBroadcasts = 'auto';
});

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Number.NaN);
}

function expectClose(a: tf.Tensor, b: tf.Tensor, tolerance = 1e-5): void {
  expect(maxDiff(a, b)).toBeLessThanOrEqual(tolerance);
}

const normal = (shape: number[], seed: number, mean = 0, std = 1) =>
  tf.randomNormal(shape, mean, std, 'float32', seed);

/** tfjs autodiff of the composition BatchNorm ran before the fused op. */
function composedBatchNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number) {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, eps);
}

describe('batchNormTraining', () => {
  // Activations off centre and off unit scale, so the mean and variance terms matter.
  const x = normal([4, 5, 3, 6], 1, 1.5, 2) as tf.Tensor4D;
  const gamma = normal([6], 2, 1, 0.5) as tf.Tensor1D;
  const beta = normal([6], 3) as tf.Tensor1D;
  const dy = normal([4, 5, 3, 6], 4);
  const eps = 1e-5;
  const grads = (f: typeof composedBatchNorm) =>
    tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      f(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, eps),
    )([x, gamma, beta], dy);
  const fused = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, e: number) =>
    batchNormTraining(a, g, b, e).y;

  it('computes the output and the batch statistics of tf.moments + tf.batchNorm', () => {
    const { y, mean, variance } = batchNormTraining(x, gamma, beta, eps);
    const moments = tf.moments(x, [0, 1, 2]);
    expectClose(y, composedBatchNorm(x, gamma, beta, eps), 1e-6);
    expectClose(mean, moments.mean, 1e-6);
    expectClose(variance, moments.variance, 1e-6);
  });

  for (const tile of [false, true]) {
    it(`has the gradients of x, γ and β that autodiff gives the composition (tile ${tile})`, () => {
      fusedOps.tileBroadcasts = tile;
      expectClose(fused(x, gamma, beta, eps), composedBatchNorm(x, gamma, beta, eps), 1e-5);
      const ours = grads(fused);
      const reference = grads(composedBatchNorm);
      for (const [i, name] of ['x', 'gamma', 'beta'].entries()) {
        const diff = maxDiff(ours[i] as tf.Tensor, reference[i] as tf.Tensor);
        expect(diff, name).toBeLessThan(1e-5);
      }
    });
  }
});

describe('channelScale', () => {
  it('has the forward pass and gradients of a broadcasting tf.mul, tiled or not', () => {
    for (const tile of [false, true]) {
      fusedOps.tileBroadcasts = tile;
      const x = normal([2, 3, 4, 5], 5) as tf.Tensor4D;
      const s = tf.sigmoid(normal([2, 1, 1, 5], 6)) as tf.Tensor4D;
      const dy = normal([2, 3, 4, 5], 7);
      expectClose(channelScale(x, s), tf.mul(x, s), 0);
      const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        channelScale(a as tf.Tensor4D, b as tf.Tensor4D),
      )([x, s], dy);
      const reference = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.mul(a, b))([x, s], dy);
      expectClose(ours[0] as tf.Tensor, reference[0] as tf.Tensor);
      expectClose(ours[1] as tf.Tensor, reference[1] as tf.Tensor);
    }
  });
  it('refuses a scale that is not one value per image and channel', () => {
    const x = tf.zeros([2, 3, 3, 4]) as tf.Tensor4D;
    expect(() => channelScale(x, tf.zeros([2, 3, 3, 4]) as tf.Tensor4D)).toThrow(/\[2, 1, 1, 4\]/);
  });
});

/** Gradients of Σ dy·layer(x) for x and every trainable weight, with training on. */
function layerGradients(layer: tf.layers.Layer, x: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  const input = tf.variable(x);
  const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, dy)) as tf.Scalar,
    [input, ...weights],
  );
  const result = [input, ...weights].map((v) => grads[v.name] as tf.Tensor);
  input.dispose();
  return result;
}

describe('SqueezeExcite in training: fused against autodiff of the composition', () => {
  const x = normal([3, 4, 5, 8], 8, 0.5);
  const dy = normal([3, 4, 5, 8], 9);
  const cases: { squeeze: SqueezeMode; fc: FcForm; bias: boolean; tile: boolean }[] = [
    { squeeze: 'avg', fc: 'conv1x1', bias: true, tile: false },
    { squeeze: 'avg', fc: 'dense', bias: false, tile: false },
    { squeeze: 'max', fc: 'conv1x1', bias: true, tile: false },
    { squeeze: 'avg', fc: 'conv1x1', bias: true, tile: true },
    { squeeze: 'max', fc: 'dense', bias: false, tile: true },
  ];
  for (const { squeeze, fc, bias, tile } of cases) {
    for (const gate of GATE_KINDS) {
      const title = `${squeeze} squeeze, ${gate} gate, ${fc} FCs${bias ? '' : ', no biases'}`;
      it(`${title}${tile ? ', tiled' : ''}`, () => {
        fusedOps.tileBroadcasts = tile;
        const se = new SqueezeExcite({ reduction: 4, squeeze, gate, fc, bias, name: 'se' });
        se.build(x.shape);
        // Spread the FC weights so that every gate sees logits on both sides of its kinks.
        se.setWeights(se.getWeights().map((w, i) => normal(w.shape, 10 + i, 0, 1.5)));
        fusedOps.squeezeExcite = false;
        const reference = layerGradients(se, x, dy);
        const plain = se.apply(x, { training: true }) as tf.Tensor;
        fusedOps.squeezeExcite = true;
        const ours = layerGradients(se, x, dy);
        expectClose(se.apply(x, { training: true }) as tf.Tensor, plain, 0);
        expect(ours.length).toBe(bias ? 5 : 3);
        for (const [i, g] of ours.entries()) expectClose(g, reference[i] as tf.Tensor);
      });
    }
  }
  it('fusedSqueezeExcite refuses FC kernels that do not fit the channels', () => {
    const weights = { fc1Kernel: tf.zeros([4, 2]), fc2Kernel: tf.zeros([2, 8]) } as const;
    expect(() =>
      fusedSqueezeExcite(
        x as tf.Tensor4D,
        weights as never as Parameters<typeof fusedSqueezeExcite>[1],
      ),
    ).toThrow(/8 channels/);
  });
});

/** A small SE network: conv, BatchNorm, ReLU, an average- and a max-squeeze SE block, head. */
function smallSENet(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 3] });
  let y = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, name: 'conv' })
    .apply(input) as tf.SymbolicTensor;
  y = new BatchNorm({ name: 'bn' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = new SqueezeExcite({ reduction: 4, name: 'se_avg' }).apply(y) as tf.SymbolicTensor;
  y = new SqueezeExcite({ reduction: 4, squeeze: 'max', name: 'se_max' }).apply(
    y,
  ) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .dense({ units: 3, activation: 'softmax', name: 'fc' })
    .apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

describe('a small SE network trains the same with and without the fused ops', () => {
  const x = normal([4, 6, 6, 3], 20, 0.3);
  const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);

  function sgdStep(model: tf.LayersModel, fused: boolean): void {
    fusedOps.batchNorm = fused;
    fusedOps.squeezeExcite = fused;
    const optimizer = tf.train.sgd(0.5);
    optimizer.minimize(() =>
      tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor),
    );
    optimizer.dispose();
  }

  it('one SGD step: the same weights and running statistics', () => {
    const plain = smallSENet();
    const fused = smallSENet();
    fused.setWeights(plain.getWeights());
    sgdStep(plain, false);
    sgdStep(fused, true);
    const names = plain.weights.map((w) => w.originalName);
    const before = smallSENet().getWeights();
    for (const [i, w] of fused.getWeights().entries()) {
      const reference = plain.getWeights()[i] as tf.Tensor;
      expect(maxDiff(w, reference), names[i]).toBeLessThan(1e-5);
      // Every weight moved (so the comparison is not vacuous), bar the untouched moving stats.
      if (!names[i]?.includes('moving'))
        expect(maxDiff(w, before[i] as tf.Tensor)).toBeGreaterThan(0);
    }
    tf.dispose(before);
    plain.dispose();
    fused.dispose();
  });

  it('keeps the tensor count flat over training steps (minimize and fit)', async () => {
    const model = smallSENet();
    sgdStep(model, true);
    const start = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) sgdStep(model, true);
    expect(tf.memory().numTensors).toBe(start);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    await model.fit(x, labels, { epochs: 1, batchSize: 2, verbose: 0 });
    const afterFirstFit = tf.memory().numTensors;
    await model.fit(x, labels, { epochs: 2, batchSize: 2, verbose: 0 });
    expect(tf.memory().numTensors).toBe(afterFirstFit);
    model.dispose();
  });
});
