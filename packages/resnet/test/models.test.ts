import { countParams, createModel, type SEConfig } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { resNet, seResNet50 } from '../src/index.js';

describe('forward and backward on the CPU backend at the smallest input', () => {
  for (const name of ['resnet18', 'seresnet18', 'legacy_seresnet18'] as const) {
    it(`${name}: every trainable tensor gets a finite gradient`, async () => {
      const model = createModel(name, { inputShape: [32, 32, 3], classes: 10 });
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
      const y = tf.oneHot(tf.tensor1d([3, 7], 'int32'), 10);
      const probabilities = model.predict(x) as tf.Tensor;
      expect(probabilities.shape).toEqual([2, 10]);
      const rowSums = Array.from(tf.sum(probabilities, 1).dataSync());
      for (const s of rowSums) expect(s).toBeCloseTo(1, 5);

      const { value, grads } = tf.variableGrads(() =>
        tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor),
      );
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      const trainable = model.trainableWeights.map((w) => w.read().id);
      expect(Object.keys(grads).length).toBe(trainable.length);
      for (const g of Object.values(grads)) {
        expect(Array.from(tf.isFinite(g).all().dataSync())).toEqual([1]);
      }
    });
  }
  it('a Layers training step updates weights and BatchNorm running statistics', async () => {
    const model = createModel('seresnet18', { inputShape: [32, 32, 3], classes: 10 });
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 6);
    const y = tf.oneHot(tf.tensor1d([1, 2], 'int32'), 10);
    const read = (layer: string, index: number) =>
      Array.from(model.getLayer(layer).getWeights()[index]?.dataSync() ?? []);
    const meanBefore = read('bn1', 2);
    const stemBefore = read('conv1', 0);
    // timm's zero_init_last: each branch's last BN starts with γ = 0, so the branch is the
    // identity at first and only that γ (not the convolutions before it) moves on step one.
    expect(read('layer4.1.bn2', 0).every((v) => v === 0)).toBe(true);
    const loss = (await model.trainOnBatch(x, y)) as number;
    expect(Number.isFinite(loss)).toBe(true);
    // Running mean moved from zero towards the batch mean (momentum 0.1).
    expect(meanBefore.every((v) => v === 0)).toBe(true);
    expect(read('bn1', 2).some((v) => v !== 0)).toBe(true);
    expect(read('conv1', 0)).not.toEqual(stemBefore);
    expect(read('layer4.1.bn2', 0).some((v) => v !== 0)).toBe(true);
  });
  it('a model built for any size runs at two sizes', () => {
    const model = createModel('seresnet18', { inputShape: [null, null, 3], classes: 4 });
    expect((model.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor).shape).toEqual([1, 4]);
    expect((model.predict(tf.zeros([1, 48, 64, 3])) as tf.Tensor).shape).toEqual([1, 4]);
  });
  it('includeTop: false with pooling, as Keras Applications', () => {
    const features = createModel('resnet18', { includeTop: false, inputShape: [64, 64, 3] });
    expect(features.outputs[0]?.shape).toEqual([null, 2, 2, 512]);
    const pooled = createModel('seresnet50', {
      includeTop: false,
      pooling: 'avg',
      inputShape: [64, 64, 3],
    });
    expect(pooled.outputs[0]?.shape).toEqual([null, 2048]);
  });
});

describe("the paper's integration options on SE-ResNet-50 (Caffe rounding ⌊C/16⌋)", () => {
  const RESNET50 = 25_557_032;
  /** Parameters of one SE block on C channels with ratio r and biases. */
  const se = (c: number, r = 16) => 2 * c * Math.floor(c / r) + Math.floor(c / r) + c;
  // [planes, blocks] per stage; a block's output has 4·planes channels.
  const STAGES = [
    [64, 3],
    [128, 4],
    [256, 6],
    [512, 3],
  ] as const;
  const sum = (perBlock: (planes: number, stage: number, index: number) => number) =>
    STAGES.reduce(
      (total, [planes, blocks], stage) =>
        total +
        Array.from({ length: blocks }, (_, i) => perBlock(planes, stage, i)).reduce(
          (a, b) => a + b,
          0,
        ),
      0,
    );
  const params = (config: SEConfig) =>
    countParams(resNet({ depth: 50, layout: 'caffe', se: config }));

  it('standard, SE-POST and SE-Identity put SE on the 4·planes output channels', () => {
    const expected = RESNET50 + sum((p) => se(4 * p));
    expect(expected).toBe(28_088_024);
    for (const position of ['standard', 'post', 'identity'] as const) {
      expect(params({ position })).toBe(expected);
    }
  });
  it('SE-PRE scales each unit’s input channels', () => {
    // The first unit of a stage sees the previous stage's output (the stem's 64 for stage 1).
    const input = (p: number, stage: number, i: number) =>
      i > 0 ? 4 * p : stage === 0 ? 64 : 2 * p;
    expect(params({ position: 'pre' })).toBe(RESNET50 + sum((p, s, i) => se(input(p, s, i))));
  });
  it('SE_3×3 works on the planes of the 3×3 convolution', () => {
    expect(params({ position: '3x3' })).toBe(RESNET50 + sum((p) => se(p)));
    expect(params({ position: '3x3' })).toBe(25_718_228);
  });
  it('reduction ratios 2…32 and SE in single stages', () => {
    for (const r of [2, 4, 8, 32]) {
      expect(params({ reduction: r })).toBe(RESNET50 + sum((p) => se(4 * p, r)));
    }
    for (const stage of [1, 2, 3, 4]) {
      expect(params({ stages: [stage] })).toBe(
        RESNET50 + sum((p, s) => (s === stage - 1 ? se(4 * p) : 0)),
      );
    }
  });
  it('squeeze and gate variants keep the parameters and run', () => {
    const model = seResNet50({
      inputShape: [32, 32, 3],
      classes: 3,
      se: { squeeze: 'max', gate: 'tanh', bias: false },
    });
    const seFree = RESNET50 - 2048 * 1000 - 1000 + 2048 * 3 + 3;
    expect(countParams(model)).toBe(
      seFree + sum((p) => 2 * 4 * p * Math.max(8, Math.floor((4 * p) / 16 / 8 + 0.5) * 8)),
    );
    expect((model.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor).shape).toEqual([1, 3]);
  });
});

describe('invalid options are clear errors', () => {
  it('an unsupported depth', () => {
    expect(() => resNet({ depth: 20 as never })).toThrow(
      'Invalid depth: 20. Expected one of 18, 34, 50, 101, 152.',
    );
  });
  it('zero classes', () => {
    expect(() => createModel('seresnet50', { classes: 0 })).toThrow(
      'Invalid classes: 0. Expected an integer ≥ 1.',
    );
  });
  it('an input smaller than the total stride of 32', () => {
    expect(() => createModel('resnet18', { inputShape: [16, 16, 3] })).toThrow(
      "Invalid inputShape height: 16. Expected null or an integer ≥ 32 (this network's smallest input) in [16, 16, 3].",
    );
  });
  it('an unknown model name lists close matches', () => {
    // @ts-expect-error: not a registered name, so not a ModelName either
    expect(() => createModel('seresnet51')).toThrow(
      /Unknown model 'seresnet51'\. Did you mean 'seresnet50'/,
    );
  });
  it('bad SE options name the field', () => {
    expect(() => createModel('seresnet18', { se: { stages: [5] } })).toThrow(
      'Invalid se.stages: 5. Expected an integer in [1, 4].',
    );
    expect(() => createModel('seresnet18', { se: { reduction: 0 } })).toThrow(
      'Invalid se.reduction: 0.',
    );
    expect(() => createModel('seresnet18', { se: { reduction: 128 } })).toThrow(
      "Invalid layer 'layer1.0.se' se.reduction: 128. Expected a ratio no larger than the 64 channels it reduces.",
    );
  });
});
