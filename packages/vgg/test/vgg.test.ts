import { countMacs, countParams, createModel, getModelInfo, summarize } from '@se/core';
import { readKeysFixture, stateDictKeys } from '@se/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { AdaptiveAvgPool2D, seVgg16Bn, VGG16_CONFIG, vgg16Bn } from '../src/index.js';

const fixture = (path: string) => new URL(`./fixtures/${path}`, import.meta.url);

// VGG-16 has 138M parameters: build each network once, at any input size, and share it.
const plain = vgg16Bn({ inputShape: [null, null, 3] });
const withSE = seVgg16Bn({ inputShape: [null, null, 3], classes: 10 });
afterAll(() => {
  plain.dispose();
  withSE.dispose();
});

/** SE parameters of SE-VGG-16: 2·C·⌊C/16⌋ + ⌊C/16⌋ + C per convolution. */
const seParams = VGG16_CONFIG.filter((c) => c !== 'M')
  .map((c) => 2 * c * Math.floor(c / 16) + Math.floor(c / 16) + c)
  .reduce((a, b) => a + b, 0);

describe('VGG-16-BN', () => {
  it("has timm's 138,365,992 parameters, and SE adds 230,792 (10 classes: 134,271,880 + SE)", () => {
    expect(countParams(plain)).toBe(138_365_992);
    expect(seParams).toBe(230_792);
    // The 10-class head: 4096·10 + 10 instead of 4096·1000 + 1000.
    expect(countParams(withSE)).toBe(138_365_992 - 4096 * 990 - 990 + seParams);
  });
  it("has exactly timm's state_dict keys and shapes, in order", async () => {
    const reference = await readKeysFixture(fixture('keys/vgg16_bn.json'));
    expect(stateDictKeys(plain)).toEqual(reference);
  });
  it('puts an SE block after each of the 13 ReLUs, keeping the plain indices', () => {
    const names = withSE.layers.map((l) => l.name);
    const se = names.filter((n) => n.endsWith('.se'));
    expect(se.length).toBe(13);
    expect(se.slice(0, 3)).toEqual(['features.2.se', 'features.5.se', 'features.9.se']);
    expect(names.indexOf('features.42.se')).toBe(names.indexOf('features.42') + 1);
    expect(names).toContain('features.43'); // the last max pool
  });
  it('costs 15.47 G MACs at 224² with or without SE (paper Table 2: 15.47 → 15.48)', () => {
    const plainMacs = countMacs(plain, [224, 224, 3]);
    expect(plainMacs).toBe(15_470_264_320);
    const seMacs = summarize(withSE, [224, 224, 3]).macs + 4096 * 990; // back to 1000 classes
    // SE adds its FC layers only: Σ 2·C·⌊C/16⌋ = 226,304 MACs.
    expect(seMacs - plainMacs).toBe(226_304);
    expect(Math.abs(plainMacs / 15.47e9 - 1)).toBeLessThan(0.01);
    expect(Math.abs(seMacs / 15.48e9 - 1)).toBeLessThan(0.01);
    expect(getModelInfo('se_vgg16_bn').paper?.gmacs).toBe(15.48);
  });
  it('slides fc1 over larger inputs and averages (timm): 7×7 → 1×1, 9×9 → 3×3', () => {
    const at = (size: number) =>
      summarize(plain, [size, size, 3]).layers.find((l) => l.name === 'pre_logits.fc1')
        ?.outputShape;
    expect(at(224)).toEqual([1, 1, 4096]);
    expect(at(288)).toEqual([3, 3, 4096]);
    expect(at(64)).toEqual([1, 1, 4096]); // 2×2 features, enlarged to 7×7 first
  });
  it('back-propagates at 32×32 (1×1 features enlarged to 7×7) into the top SE block and head', () => {
    // The gradients of the 3×3 convolutions are left out: tfjs's reference CPU kernels take
    // minutes for them (the wasm backend of @se/backends is the one to train on).
    const top = ['features.41', 'features.42.se', 'pre_logits.fc1', 'pre_logits.fc2', 'head.fc'];
    const variables = withSE.trainableWeights
      .filter((w) => top.some((prefix) => w.originalName.startsWith(`${prefix}/`)))
      .map((w) => w.read() as tf.Variable);
    expect(variables.length).toBe(12);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 2);
    const labels = tf.oneHot(tf.tensor1d([1, 7], 'int32'), 10);
    const { value, grads } = tf.variableGrads(
      () =>
        tf.losses.softmaxCrossEntropy(
          labels,
          withSE.apply(x, { training: true }) as tf.Tensor,
        ) as tf.Scalar,
      variables,
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(12);
    for (const [name, g] of Object.entries(grads)) {
      expect([name, tf.all(tf.isFinite(g)).dataSync()[0]]).toEqual([name, 1]);
    }
    const fc1 = Object.entries(grads).find(([name]) => name.startsWith('pre_logits.fc1/kernel'));
    expect(fc1 && tf.max(tf.abs(fc1[1])).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, labels, value, ...Object.values(grads)]);
  });
});

describe('AdaptiveAvgPool2D (PyTorch adaptive_avg_pool2d to at least 7×7)', () => {
  it('repeats and averages cells as PyTorch does', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = new AdaptiveAvgPool2D({ minSize: 7 }).apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 7, 7, 1]);
    // Along an axis of 2 → 7: windows [0], [0], [0], [0, 1], [1], [1], [1].
    const row = (a: number, b: number) => [a, a, a, (a + b) / 2, b, b, b];
    const top = row(1, 2);
    const bottom = row(3, 4);
    const expected = row(0, 1).map((t) => top.map((v, i) => v + t * ((bottom[i] ?? 0) - v)));
    const actual = y.arraySync() as number[][][][];
    expect(actual[0]?.map((r) => r.map((c) => c[0]))).toEqual(expected);
  });
  it('leaves an axis of 7 or more alone, and has a gradient', () => {
    const x = tf.randomNormal([1, 3, 9, 2]);
    const layer = new AdaptiveAvgPool2D({ minSize: 7 });
    expect((layer.apply(x) as tf.Tensor).shape).toEqual([1, 7, 9, 2]);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x);
    // Each input row is used by 7/3 output rows on average: the gradients sum to 7·9·2.
    expect(tf.sum(grad).dataSync()[0]).toBeCloseTo(7 * 9 * 2, 4);
  });
});

describe('options', () => {
  it('includeTop: false gives the 7×7×512 features, or pooled ones', () => {
    const features = vgg16Bn({ includeTop: false });
    expect(features.outputs[0]?.shape).toEqual([null, 7, 7, 512]);
    expect(countParams(features)).toBe(14_723_136);
    const pooled = seVgg16Bn({ includeTop: false, pooling: 'max', inputShape: [64, 64, 3] });
    expect(pooled.outputs[0]?.shape).toEqual([null, 512]);
    features.dispose();
    pooled.dispose();
  });
  it('se.stages restricts SE to some blocks', () => {
    const model = vgg16Bn({ includeTop: false, se: { stages: [5] } });
    expect(model.layers.filter((l) => l.name.endsWith('.se')).map((l) => l.name)).toEqual([
      'features.36.se',
      'features.39.se',
      'features.42.se',
    ]);
    model.dispose();
  });
  it('names the bad option', () => {
    expect(() => vgg16Bn({ inputShape: [31, 31, 3] })).toThrow(
      'Invalid inputShape height: 31. Expected null or an integer ≥ 32',
    );
    expect(() => seVgg16Bn({ se: { position: 'post' } })).toThrow(
      `Invalid se.position: "post". Expected 'standard' (after each convolution's ReLU)`,
    );
    expect(() => vgg16Bn({ dropRate: 1 })).toThrow(
      'Invalid dropRate: 1. Expected a number in [0, 1).',
    );
    expect(() => createModel('vgg16_bn', { clases: 10 } as object)).toThrow(
      "Invalid model option 'clases'",
    );
  });
});
