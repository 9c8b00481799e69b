import { createModel, type SqueezeExcite } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bnInceptionFeatureSizes,
  inceptionResNetBlock,
  RESIDUAL_SCALES,
  resolveInceptionSE,
} from '../src/index.js';

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const closeTo = (actual: number[], expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  for (const [i, e] of expected.entries()) expect(actual[i]).toBeCloseTo(e, 5);
};

/** A 3×3 one-channel map 1…9 (row-major), NHWC. */
const grid3x3 = () => tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);

describe('pooling as the references pool', () => {
  // The layers are taken from the built models, so these check the models' own settings.
  let bn: tf.LayersModel;
  let v3: tf.LayersModel;
  let irv2: tf.LayersModel;
  beforeAll(() => {
    bn = createModel('se_bninception', { inputShape: [31, 31, 3] });
    v3 = createModel('inception_v3', { inputShape: [75, 75, 3] });
    irv2 = createModel('inception_resnet_v2', { inputShape: [75, 75, 3] });
  });
  afterAll(() => {
    for (const m of [bn, v3, irv2]) m.dispose();
  });

  it("Caffe's 3×3 average pool (pad 1) divides by 9 everywhere, padding included", () => {
    const y = bn.getLayer('inception_3a_pool').apply(grid3x3()) as tf.Tensor;
    // Corner: (1 + 2 + 4 + 5) / 9; edge: (1 + 2 + 3 + 4 + 5 + 6) / 9; centre: 45 / 9.
    closeTo(
      values(y),
      [12, 21, 16, 27, 45, 33, 24, 39, 28].map((s) => s / 9),
    );
    // timm's Inception-v3 pools the same way (F.avg_pool2d, count_include_pad=True).
    closeTo(values(v3.getLayer('Mixed_5b.avg_pool').apply(grid3x3()) as tf.Tensor), values(y));
  });

  it("Inception-ResNet-v2's Mixed_5b pool divides by the real positions only", () => {
    const y = irv2.getLayer('mixed_5b.branch3.0').apply(grid3x3()) as tf.Tensor;
    closeTo(values(y), [12 / 4, 21 / 6, 16 / 4, 27 / 6, 45 / 9, 33 / 6, 24 / 4, 39 / 6, 28 / 4]);
  });

  it("Caffe's stem max pool rounds up: 4×4 → 2×2, the last window clipped", () => {
    const x = tf.tensor4d([1, 9, 2, 8, 3, 4, 5, 7, 6, 0, 1, 2, 3, 4, 5, 6], [1, 4, 4, 1]);
    const y = bn.getLayer('pool1_3x3_s2').apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 2, 1]);
    // Windows rows/cols {0,1,2} and {2,3}: max of each.
    expect(values(y)).toEqual([9, 8, 6, 6]);
    // timm's floor-mode pool on the same map: one 3×3 window.
    expect(values(v3.getLayer('Pool1').apply(x) as tf.Tensor)).toEqual([9]);
  });

  it('BN-Inception feature sizes agree with the built model', () => {
    expect(bnInceptionFeatureSizes(224)).toEqual([112, 56, 28, 14, 7]);
    expect(bnInceptionFeatureSizes(31)).toEqual([16, 8, 4, 2, 1]);
    expect(bnInceptionFeatureSizes(30)).toBeNull();
    expect(bnInceptionFeatureSizes(299)).toBeNull();
    for (const size of [31, 70, 230]) {
      const model = createModel('bninception', { inputShape: [size, size, 3], includeTop: false });
      const side = (layer: string) => model.getLayer(layer).output as tf.SymbolicTensor;
      const sizes = bnInceptionFeatureSizes(size);
      expect([
        side('conv1_relu_7x7').shape[1],
        side('pool1_3x3_s2').shape[1],
        side('pool2_3x3_s2').shape[1],
        side('inception_3c_output').shape[1],
        side('inception_5b_output').shape[1],
      ]).toEqual(sizes);
      model.dispose();
    }
  });
});

describe('Inception concatenation order', () => {
  it('BN-Inception: 3a is 1×1, 3×3, double 3×3, pool projection; 3c passes its pool last', () => {
    const model = createModel('bninception', { inputShape: [31, 31, 3], includeTop: false });
    const modules = {
      inception_3a_output: [
        'inception_3a_relu_1x1',
        'inception_3a_relu_3x3',
        'inception_3a_relu_double_3x3_2',
        'inception_3a_relu_pool_proj',
      ],
      inception_3c_output: [
        'inception_3c_relu_3x3',
        'inception_3c_relu_double_3x3_2',
        'inception_3c_pool',
      ],
    };
    const x = tf.randomNormal([1, 31, 31, 3], 0, 1, 'float32', 3);
    for (const [output, parts] of Object.entries(modules)) {
      const probe = tf.model({
        inputs: model.inputs,
        outputs: [output, ...parts].map((n) => model.getLayer(n).output as tf.SymbolicTensor),
      });
      const [cat, ...branches] = probe.predict(x) as tf.Tensor[];
      expect(cat?.shape[3]).toBe(
        output === 'inception_3a_output' ? 64 + 64 + 96 + 32 : 160 + 96 + 320,
      );
      expect(values(cat as tf.Tensor)).toEqual(values(tf.concat(branches, 3)));
    }
    model.dispose();
  });

  it('Inception-v3 Mixed_7b: 1×1, (1×3 ‖ 3×1), 3×3 → (1×3 ‖ 3×1), pool projection', () => {
    const model = createModel('inception_v3', { inputShape: [75, 75, 3], includeTop: false });
    const p = 'Mixed_7b';
    const names = [
      `${p}.branch1x1.act`,
      `${p}.branch3x3_2a.act`,
      `${p}.branch3x3_2b.act`,
      `${p}.branch3x3dbl_3a.act`,
      `${p}.branch3x3dbl_3b.act`,
      `${p}.branch_pool.act`,
    ];
    const probe = tf.model({
      inputs: model.inputs,
      outputs: [`${p}.cat`, ...names].map((n) => model.getLayer(n).output as tf.SymbolicTensor),
    });
    const [cat, ...parts] = probe.predict(
      tf.randomNormal([1, 75, 75, 3], 0, 1, 'float32', 4),
    ) as tf.Tensor[];
    expect(cat?.shape).toEqual([1, 1, 1, 320 + 768 + 768 + 192]);
    expect(values(cat as tf.Tensor)).toEqual(values(tf.concat(parts as tf.Tensor[], 3)));
    model.dispose();
  });
});

describe('Inception-ResNet residual blocks, by hand', () => {
  /** A block on 2 channels whose single branch is the input itself (no concatenation). */
  function block(scale: number, relu: boolean, se: boolean) {
    const x = tf.input({ shape: [1, 1, 2] });
    const y = inceptionResNetBlock(x, {
      name: 'b',
      branches: (input) => [input],
      scale,
      relu,
      se: se ? resolveInceptionSE({ hiddenChannels: 1 }, true) : null,
    });
    const model = tf.model({ inputs: x, outputs: y });
    // conv2d: W = [[1, 2], [3, 4]] (in × out), bias [0.5, −1].
    model
      .getLayer('b.conv2d')
      .setWeights([tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]), tf.tensor1d([0.5, -1])]);
    return model;
  }
  const input = tf.tensor4d([1, -2], [1, 1, 1, 2]);
  // conv2d(x) = [1·1 + (−2)·3 + 0.5, 1·2 + (−2)·4 − 1] = [−4.5, −7].

  it('Block35-like: relu(x + 0.17 · conv2d(x))', () => {
    const model = block(RESIDUAL_SCALES.block35, true, false);
    const y = values(model.predict(input) as tf.Tensor);
    closeTo(y, [Math.max(0, 1 + 0.17 * -4.5), Math.max(0, -2 + 0.17 * -7)]);
    expect(y[0]).toBeCloseTo(0.235, 6);
  });

  it('the last Block8: x + 1 · conv2d(x), no ReLU (negative outputs stay)', () => {
    const model = block(1, false, false);
    closeTo(values(model.predict(input) as tf.Tensor), [1 - 4.5, -2 - 7]);
  });

  it('SE sits on the residual branch, before the scaling: relu(x + s · σ-gated conv2d(x))', () => {
    const model = block(RESIDUAL_SCALES.block17, true, true);
    const se = model.getLayer('b.se') as SqueezeExcite;
    // fc1: 2 → 1 with w = [0.1, −0.2], b = 0.3; fc2: 1 → 2 with w = [1, −1], b = [0, 0.5].
    se.setWeights([
      tf.tensor4d([0.1, -0.2], [1, 1, 2, 1]),
      tf.tensor4d([1, -1], [1, 1, 1, 2]),
      tf.tensor1d([0.3]),
      tf.tensor1d([0, 0.5]),
    ]);
    const [r0, r1] = [-4.5, -7]; // conv2d(x), as above
    const hidden = Math.max(0, 0.1 * r0 - 0.2 * r1 + 0.3); // 1.25
    const [g0, g1] = [1 / (1 + Math.exp(-hidden)), 1 / (1 + Math.exp(-(-hidden + 0.5)))];
    const expected = [Math.max(0, 1 + 0.1 * r0 * g0), Math.max(0, -2 + 0.1 * r1 * g1)];
    closeTo(values(model.predict(input) as tf.Tensor), expected);
    expect(hidden).toBeCloseTo(1.25, 10);
  });

  it('a Block35-like block trains: finite gradients for its weights and SE', () => {
    const model = block(0.17, true, true);
    const x = tf.randomNormal([2, 1, 1, 2], 0, 1, 'float32', 9);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(model.trainableWeights.length);
    for (const g of Object.values(grads)) expect(tf.all(tf.isFinite(g)).dataSync()[0]).toBe(1);
  });
});

describe('saving and loading', () => {
  /** Saves `model` to memory and loads it back (topology and weights). */
  async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (!artifacts) throw new Error('nothing saved');
    return tf.loadLayersModel(tf.io.fromMemory(artifacts));
  }

  it('SE-BN-Inception (ceil-mode pools, Caffe divisor, SE) predicts the same after a reload', async () => {
    const model = createModel('se_bninception', { inputShape: [31, 31, 3], classes: 5 });
    const loaded = await roundTrip(model);
    const x = tf.randomNormal([1, 31, 31, 3], 0, 1, 'float32', 11);
    expect(values(loaded.predict(x) as tf.Tensor)).toEqual(values(model.predict(x) as tf.Tensor));
    model.dispose();
    loaded.dispose();
  });

  it('a scaled residual block without ReLU keeps its scale and its missing activation', async () => {
    const x = tf.input({ shape: [2, 2, 3] });
    const y = inceptionResNetBlock(x, {
      name: 'block8',
      branches: (input) => [input, input],
      scale: RESIDUAL_SCALES.block8,
      relu: false,
      se: resolveInceptionSE({ reduction: 2 }, true),
    });
    const model = tf.model({ inputs: x, outputs: y });
    const loaded = await roundTrip(model);
    const input = tf.randomNormal([1, 2, 2, 3], 0, 1, 'float32', 12);
    const expected = values(model.predict(input) as tf.Tensor);
    expect(expected.some((v) => v < 0)).toBe(true);
    closeTo(values(loaded.predict(input) as tf.Tensor), expected);
  });
});
