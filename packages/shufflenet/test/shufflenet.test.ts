import {
  countMacs,
  countParams,
  createModel,
  getModelInfo,
  listModels,
  type ModelName,
  torchStateDictMapping,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  SHUFFLENET_GROUPS,
  SHUFFLENET_MODEL_NAMES,
  SHUFFLENET_WIDTHS,
  type ShuffleNetGroups,
  type ShuffleNetModelName,
  type ShuffleOrder,
  seShuffleNetV1,
  shuffleNetChannels,
  shuffleNetV1,
  shuffleUnit,
} from '../src/index.js';

/**
 * Parameters of megvii's ShuffleNetV1 by its own construction (network.py/blocks.py), and of
 * the SE blocks on each branch (⌊C/16⌋ hidden units).
 */
function handCount(groups: ShuffleNetGroups, width: number): { plain: number; se: number } {
  const { stem, stages } = shuffleNetChannels(groups, width);
  let plain = 27 * stem + 2 * stem;
  let se = 0;
  let inputs = stem;
  for (const [stage, units] of [4, 8, 4].entries()) {
    const out = stages[stage] ?? 0;
    for (let i = 0; i < units; i++) {
      const mid = out / 4;
      const branch = i === 0 ? out - inputs : out;
      const firstGroups = stage === 0 && i === 0 ? 1 : groups;
      plain += (inputs * mid) / firstGroups + 2 * mid + 9 * mid + 2 * mid;
      plain += (mid * branch) / groups + 2 * branch;
      const hidden = Math.floor(branch / 16);
      se += 2 * branch * hidden + hidden + branch;
      inputs = out;
    }
  }
  plain += inputs * 1000; // classifier.0: Linear without bias
  return { plain, se: plain + se };
}

describe('channels and parameter counts', () => {
  it('registers every group count at 0.5×, 1× and 2×, each with an SE twin', () => {
    const names = listModels((m) => m.family === 'shufflenet').map((m) => m.name);
    expect(names.length).toBe(SHUFFLENET_GROUPS.length * SHUFFLENET_WIDTHS.length * 2);
    expect(names).toContain('shufflenet_v1_g3');
    expect(names).toContain('se_shufflenet_v1_g8_050');
    expect(names).toContain('shufflenet_v1_g1_200');
    expect(getModelInfo('se_shufflenet_v1_g3').twin).toBe('shufflenet_v1_g3');
    // The names of ModelName are the registered ones.
    const expected = SHUFFLENET_GROUPS.flatMap((g) =>
      ['', '_050', '_200'].flatMap((w) => [
        `shufflenet_v1_g${g}${w}`,
        `se_shufflenet_v1_g${g}${w}`,
      ]),
    );
    expect(names.sort()).toEqual(expected.sort());
    expect([...SHUFFLENET_MODEL_NAMES].sort()).toEqual(expected.sort());
    expectTypeOf<ModelName>().toEqualTypeOf<ShuffleNetModelName>();
    expectTypeOf<ShuffleNetModelName>().toEqualTypeOf<`${'' | 'se_'}shufflenet_v1_g${1 | 2 | 3 | 4 | 8}${'' | '_050' | '_200'}`>();
  });
  it("has the ShuffleNet paper's Table 1 widths at 1× and megvii's at 0.5× and 2×", () => {
    expect(SHUFFLENET_GROUPS.map((g) => shuffleNetChannels(g, 1).stages)).toEqual([
      [144, 288, 576],
      [200, 400, 800],
      [240, 480, 960],
      [272, 544, 1088],
      [384, 768, 1536],
    ]);
    // megvii network.py: g3 0.5x [12, 120, 240, 480], 2.0x [48, 480, …]; g8 0.5x [16, 192, …].
    expect(shuffleNetChannels(3, 0.5)).toEqual({ stem: 12, stages: [120, 240, 480] });
    expect(shuffleNetChannels(3, 2)).toEqual({ stem: 48, stages: [480, 960, 1920] });
    expect(shuffleNetChannels(8, 0.5)).toEqual({ stem: 16, stages: [192, 384, 768] });
    expect(shuffleNetChannels(8, 2)).toEqual({ stem: 48, stages: [768, 1536, 3072] });
    // 0.5 × 272 = 136 is no multiple of 4·4: the nearest one is 144.
    expect(shuffleNetChannels(4, 0.5)).toEqual({ stem: 12, stages: [144, 288, 576] });
  });
  // megvii ShuffleNet-Series README: 0.7M, 1.9M, 5.4M (g3) and 1.0M, 2.4M, 6.5M (g8).
  for (const [name, params] of [
    ['shufflenet_v1_g3_050', 717_324],
    ['shufflenet_v1_g3', 1_864_728],
    ['shufflenet_v1_g3_200', 5_449_776],
    ['shufflenet_v1_g8_050', 1_010_448],
    ['shufflenet_v1_g8', 2_433_768],
    ['shufflenet_v1_g8_200', 6_521_232],
  ] as const) {
    it(`${name}: megvii's ${params.toLocaleString('en-US')}`, () => {
      const model = createModel(name);
      expect(countParams(model)).toBe(params);
      model.dispose();
    });
  }
  it('every group count at 0.5× and 1× matches the hand count, plain and SE', () => {
    expect(handCount(3, 1)).toEqual({ plain: 1_864_728, se: 2_483_533 });
    // (2× is checked against megvii above; its models are slow to initialise.)
    for (const groups of SHUFFLENET_GROUPS) {
      for (const width of [0.5, 1] as const) {
        for (const se of [false, true]) {
          const model = (se ? seShuffleNetV1 : shuffleNetV1)({ groups, width });
          expect([groups, width, se, countParams(model)]).toEqual([
            groups,
            width,
            se,
            handCount(groups, width)[se ? 'se' : 'plain'],
          ]);
          model.dispose();
        }
      }
    }
  });
  it("has megvii's state_dict keys", () => {
    const model = createModel('shufflenet_v1_g3');
    const keys = torchStateDictMapping(model).map((m) => m.key);
    expect(keys.slice(0, 7)).toEqual([
      'first_conv.0.weight',
      'first_conv.1.weight',
      'first_conv.1.bias',
      'first_conv.1.running_mean',
      'first_conv.1.running_var',
      'first_conv.1.num_batches_tracked',
      'features.0.branch_main_1.0.weight',
    ]);
    expect(keys.at(-1)).toBe('classifier.0.weight');
    const shapes = new Map(torchStateDictMapping(model).map((m) => [m.key, m.torchShape]));
    expect(shapes.get('features.0.branch_main_1.0.weight')).toEqual([60, 24, 1, 1]);
    expect(shapes.get('features.0.branch_main_1.3.weight')).toEqual([60, 1, 3, 3]);
    expect(shapes.get('features.0.branch_main_2.0.weight')).toEqual([216, 20, 1, 1]);
    expect(shapes.get('features.15.branch_main_1.0.weight')).toEqual([240, 320, 1, 1]);
    expect(shapes.get('classifier.0.weight')).toEqual([1000, 960]);
    // 1 stem conv + 3 convs per unit + classifier; 1 + 3 · 16 BNs of 5 tensors each.
    expect(keys.length).toBe(1 + 3 * 16 + 1 + 5 * (1 + 3 * 16));
    model.dispose();
  });
});

describe('MACs at 224²', () => {
  // ShuffleNet paper Table 1 "Complexity" (without the classifier): 143, 140, 137, 133, 137 M.
  const table1: Record<ShuffleNetGroups, number> = { 1: 143, 2: 140, 3: 137, 4: 133, 8: 137 };
  it("the convolutions cost the ShuffleNet paper's Table 1 complexity, to the MFLOP", () => {
    for (const groups of SHUFFLENET_GROUPS) {
      const model = shuffleNetV1({ groups });
      const classifier = shuffleNetChannels(groups, 1).stages[2] * 1000;
      const convMacs = countMacs(model) - classifier;
      expect([groups, Math.round(convMacs / 1e6 + 1e-9)]).toEqual([groups, table1[groups]]);
      model.dispose();
    }
  });
  it('1× g = 3: 137.5 M plain (SE paper: 140), 139.7 M with SE and its scaling (142), within 2 %', () => {
    const plain = shuffleNetV1();
    const withSE = seShuffleNetV1();
    const plainMacs = countMacs(plain);
    const seMacs = countMacs(withSE);
    expect(plainMacs).toBe(137_460_672);
    expect(Math.abs(plainMacs / 140e6 - 1)).toBeLessThan(0.02);
    // SE adds its FC layers: Σ 2·C·⌊C/16⌋ over the 16 branches.
    const fc = 2 * (216 * 13 + 3 * 240 * 15 + 240 * 15 + 7 * 480 * 30 + 480 * 30 + 3 * 960 * 60);
    expect(seMacs - plainMacs).toBe(fc);
    // The paper's 142 also counts one multiply per element SE scales (Σ H·W·C = 1.60 M):
    // countMacs does with `seScale`, and then SE adds 2.2 M, the paper's 142 − 140.
    const scaled = 28 * 28 * (216 + 3 * 240) + 14 * 14 * (240 + 7 * 480) + 7 * 7 * (480 + 3 * 960);
    const withScale = countMacs(withSE, { seScale: true });
    expect(withScale - plainMacs).toBe(fc + scaled);
    expect(Math.round((fc + scaled) / 1e5) / 10).toBe(2.2);
    expect(Math.abs(withScale / 142e6 - 1)).toBeLessThan(0.02);
    plain.dispose();
    withSE.dispose();
  });
});

/** Sets a BN layer to the identity: γ 1, β 0, mean 0, and var + eps = 1. */
function identityBn(layer: tf.layers.Layer): void {
  layer.setWeights(
    layer.weights.map((w) => {
      const fill = w.originalName.endsWith('gamma')
        ? 1
        : w.originalName.endsWith('moving_variance')
          ? 1 - 1e-5
          : 0;
      return tf.fill(w.shape as number[], fill);
    }),
  );
}

/** A stride-1 g = 3 unit on 24 channels (bottleneck 6) with hand-set weights, at 1×1. */
function handUnit(order: ShuffleOrder) {
  const input = tf.input({ shape: [1, 1, 24] });
  const output = shuffleUnit(input, {
    name: 'u',
    outChannels: 24,
    groups: 3,
    stride: 1,
    groupFirst: true,
    shuffleOrder: order,
    se: null,
  });
  const unit = tf.model({ inputs: input, outputs: output });
  // First GConv: each group of 8 inputs → 2 outputs, the first with weights 1, the second 2.
  const k1 = Array.from({ length: 8 * 6 }, (_, i) => (i % 6) % 2).map((odd) => odd + 1);
  unit.getLayer('u.branch_main_1.0').setWeights([tf.tensor4d(k1, [1, 1, 8, 6])]);
  // Depthwise 3×3: centre tap 1, so it passes a 1×1 map through.
  const k2 = Array.from({ length: 9 * 6 }, (_, i) => (Math.floor(i / 6) === 4 ? 1 : 0));
  unit.getLayer('u.branch_main_1.3').setWeights([tf.tensor4d(k2, [3, 3, 1, 6])]);
  // Second GConv: each group of 2 shuffled channels → 8 outputs, all weights 1 (their sum).
  unit.getLayer('u.branch_main_2.0').setWeights([tf.ones([1, 1, 2, 24])]);
  for (const bn of ['u.branch_main_1.1', 'u.branch_main_1.4', 'u.branch_main_2.1']) {
    identityBn(unit.getLayer(bn));
  }
  const probe = tf.model({
    inputs: input,
    outputs: [
      unit.getLayer('u.branch_main_1.2').output as tf.SymbolicTensor,
      unit.getLayer('u.channel_shuffle').output as tf.SymbolicTensor,
      output,
    ],
  });
  const x = tf.tensor4d(
    Array.from({ length: 24 }, (_, c) => c + 1),
    [1, 1, 1, 24],
  );
  const [grouped, shuffled, out] = (probe.predict(x) as tf.Tensor[]).map((t) =>
    Array.from(t.dataSync()),
  );
  return { grouped, shuffled, out };
}

describe('a ShuffleNet unit, computed by hand (x_c = c + 1, g = 3)', () => {
  const close = (actual: number[] | undefined, expected: number[]) => {
    expect(actual?.length).toBe(expected.length);
    actual?.forEach((a, i) => {
      expect(a).toBeCloseTo(expected[i] ?? Number.NaN, 3);
    });
  };
  it("grouped 1×1, the paper's shuffle, grouped 1×1, addition", () => {
    const { grouped, shuffled, out } = handUnit('paper');
    // Group sums 1+…+8 = 36, 9+…+16 = 100, 17+…+24 = 164, times weights 1 and 2.
    close(grouped, [36, 72, 100, 200, 164, 328]);
    // (g, C/g) = (3, 2) transposed: channel i·2 + k moves to k·3 + i.
    close(shuffled, [36, 100, 164, 72, 200, 328]);
    // Output group k sums shuffled channels 2k, 2k+1: 136, 236, 528; then + x and ReLU.
    close(
      out,
      Array.from({ length: 24 }, (_, c) => c + 1 + ([136, 236, 528][Math.floor(c / 8)] ?? 0)),
    );
  });
  it("megvii's shuffle: the inverse permutation, after the depthwise convolution", () => {
    const { shuffled, out } = handUnit('megvii');
    // (C/g, g) = (2, 3) transposed: megvii's reshape(b, C/g, g, …).permute(0, 2, 1, …).
    close(shuffled, [36, 200, 72, 164, 100, 328]);
    close(
      out,
      Array.from({ length: 24 }, (_, c) => c + 1 + ([236, 236, 428][Math.floor(c / 8)] ?? 0)),
    );
  });
  it('a stride-2 unit concatenates [3×3/2 average-pooled input, branch] and applies ReLU', () => {
    const input = tf.input({ shape: [4, 4, 24] });
    const output = shuffleUnit(input, {
      name: 'u',
      outChannels: 240,
      groups: 3,
      stride: 2,
      groupFirst: false,
      se: null,
    });
    const unit = tf.model({ inputs: input, outputs: output });
    expect(output.shape).toEqual([null, 2, 2, 240]);
    const x = tf.ones([1, 4, 4, 24]);
    const y = unit.predict(x) as tf.Tensor;
    // PyTorch AvgPool2d(3, 2, 1) counts the zero padding: the top-left window sees 4 of 9 ones.
    const shortcut = Array.from(tf.slice(y, [0, 0, 0, 0], [1, 2, 2, 24]).dataSync());
    expect(shortcut.slice(0, 2)).toEqual([expect.closeTo(4 / 9, 6), expect.closeTo(4 / 9, 6)]);
    expect(shortcut[24 * 3]).toBeCloseTo(1, 6); // bottom-right window: 2·2 + … = 9 of 9 ones
    expect(tf.min(y).dataSync()[0]).toBeGreaterThanOrEqual(0);
  });
});

describe('training', () => {
  it('SE-ShuffleNet 0.5× g = 3 at 32×32: forward and backward, finite gradients', () => {
    const model = seShuffleNetV1({
      width: 0.5,
      inputShape: [32, 32, 3],
      classes: 5,
      classifierActivation: 'linear',
    });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
    const labels = tf.oneHot(tf.tensor1d([0, 3], 'int32'), 5);
    const { value, grads } = tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor),
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(model.trainableWeights.length);
    for (const g of Object.values(grads)) expect(tf.all(tf.isFinite(g)).dataSync()[0]).toBe(1);
    tf.dispose([x, labels, value, ...Object.values(grads)]);
    model.dispose();
  });
  it('a megvii-order g = 2 0.5× network trains a step with fit', async () => {
    const model = shuffleNetV1({
      groups: 2,
      width: 0.5,
      shuffleOrder: 'megvii',
      se: true,
      inputShape: [32, 32, 3],
      classes: 4,
    });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const loss = await model.trainOnBatch(
      tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 9),
      tf.oneHot(tf.tensor1d([1, 2], 'int32'), 4),
    );
    expect(Number.isFinite(loss as number)).toBe(true);
    model.dispose();
  });
});

describe('options', () => {
  it('includeTop: false gives the last stage, or pooled features', () => {
    const features = shuffleNetV1({ includeTop: false, inputShape: [64, 64, 3] });
    expect(features.outputs[0]?.shape).toEqual([null, 2, 2, 960]);
    const pooled = shuffleNetV1({ includeTop: false, pooling: 'max', inputShape: [null, null, 3] });
    expect(pooled.outputs[0]?.shape).toEqual([null, 960]);
    features.dispose();
    pooled.dispose();
  });
  it('se.position and se.stages', () => {
    const model = seShuffleNetV1({ width: 0.5, se: { position: 'post', stages: [3] } });
    const names = model.layers.map((l) => l.name);
    expect(names.filter((n) => n.endsWith('.se'))).toEqual(
      ['12', '13', '14', '15'].map((i) => `features.${i}.se`),
    );
    expect(names.indexOf('features.12.se')).toBe(names.indexOf('features.12.act') + 1);
    model.dispose();
  });
  it('names the bad option', () => {
    expect(() => shuffleNetV1({ groups: 5 as 4 })).toThrow(
      'Invalid groups: 5. Expected one of 1, 2, 3, 4, 8.',
    );
    expect(() => shuffleNetV1({ width: 1.5 as 1 })).toThrow(
      'Invalid width: 1.5. Expected one of 0.5, 1, 2.',
    );
    expect(() => shuffleNetV1({ shuffleOrder: 'torch' as 'paper' })).toThrow(
      `Invalid shuffleOrder: "torch". Expected one of 'paper', 'megvii'.`,
    );
    expect(() => shuffleNetV1({ inputShape: [24, 224, 3] })).toThrow(
      'Invalid inputShape height: 24. Expected null or an integer ≥ 32',
    );
    expect(() => seShuffleNetV1({ se: { stages: [4] } })).toThrow(
      'Invalid se.stages: 4. Expected an integer in [1, 3].',
    );
  });
});
