import { buildResidualNetwork, countParams, createModel } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { legacySeResNeXt26_32x4d, resNeXt, SENET154_ARCHITECTURE } from '../src/index.js';

describe('forward and backward on the CPU backend', () => {
  it('legacy_seresnext26_32x4d at 32×32: softmax rows, finite gradients for every weight', () => {
    const model = legacySeResNeXt26_32x4d({ inputShape: [32, 32, 3], classes: 10 });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
    const y = tf.oneHot(tf.tensor1d([3, 7], 'int32'), 10);
    const probabilities = model.predict(x) as tf.Tensor;
    expect(probabilities.shape).toEqual([2, 10]);
    for (const s of Array.from(tf.sum(probabilities, 1).dataSync())) expect(s).toBeCloseTo(1, 5);

    const { value, grads } = tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor),
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(model.trainableWeights.length);
    for (const g of Object.values(grads)) {
      expect(Array.from(tf.isFinite(g).all().dataSync())).toEqual([1]);
    }
    // The grouped kernel's gradient has the grouped (not dense) shape.
    const kernel = model.getLayer('layer1.0.conv2').trainableWeights[0];
    const kernelGrad = Object.entries(grads).find(([name]) => name === kernel?.originalName)?.[1];
    expect(kernelGrad?.shape).toEqual([3, 3, 4, 128]);
    tf.dispose([x, y, probabilities, value, ...Object.values(grads)]);
    model.dispose();
  });
  it('includeTop: false with pooling, and any input size', () => {
    const features = resNeXt({ depth: 26, includeTop: false, inputShape: [64, 64, 3] });
    expect(features.outputs[0]?.shape).toEqual([null, 2, 2, 2048]);
    features.dispose();
    const model = createModel('legacy_seresnext26_32x4d', {
      inputShape: [null, null, 3],
      classes: 4,
      includeTop: true,
    });
    expect((model.predict(tf.zeros([1, 32, 48, 3])) as tf.Tensor).shape).toEqual([1, 4]);
    model.dispose();
  });
});

describe('the plain twins and SE options', () => {
  it('se: false gives the plain network of the same layout', () => {
    const legacy = legacySeResNeXt26_32x4d({ se: false, inputShape: [32, 32, 3] });
    const plain = resNeXt({ depth: 26, layout: 'caffe', inputShape: [32, 32, 3] });
    expect(countParams(legacy)).toBe(countParams(plain));
    // SE of a unit on C channels with ⌊C/16⌋ hidden: 2·C·⌊C/16⌋ + ⌊C/16⌋ + C, two units a stage.
    const se = (c: number) => 2 * c * Math.floor(c / 16) + Math.floor(c / 16) + c;
    expect(16_790_280 - countParams(plain)).toBe(2 * (se(256) + se(512) + se(1024) + se(2048)));
    legacy.dispose();
    plain.dispose();
  });
  it('SENet-154 units: 1×1 to 2p, grouped 3×3 to 4p (64 groups), 3×3 projection in stage 2', () => {
    const model = buildResidualNetwork(
      { ...SENET154_ARCHITECTURE, layers: [1, 1, 1, 1] },
      { inputShape: [32, 32, 3], classes: 3 },
    );
    const kernel = (name: string) => model.getLayer(name).getWeights()[0]?.shape;
    expect(kernel('layer0.conv3')).toEqual([3, 3, 64, 128]);
    expect(kernel('layer1.0.conv1')).toEqual([1, 1, 128, 128]);
    expect(kernel('layer1.0.conv2')).toEqual([3, 3, 2, 256]);
    expect(kernel('layer1.0.downsample.0')).toEqual([1, 1, 128, 256]);
    expect(kernel('layer2.0.conv1')).toEqual([1, 1, 256, 256]);
    expect(kernel('layer2.0.conv2')).toEqual([3, 3, 4, 512]);
    expect(kernel('layer2.0.downsample.0')).toEqual([3, 3, 256, 512]);
    model.dispose();
  });
});

describe('invalid options are clear errors', () => {
  it('an unsupported depth or layout', () => {
    expect(() => resNeXt({ depth: 18 as never })).toThrow(
      'Invalid depth: 18. Expected one of 26, 50, 101.',
    );
    expect(() => resNeXt({ depth: 50, layout: 'torch' as never })).toThrow(
      "Invalid layout: \"torch\". Expected one of 'timm', 'caffe'.",
    );
  });
  it('a misspelt option, pretrained weights, a too small input', () => {
    expect(() => createModel('seresnext50_32x4d', { clases: 10 } as never)).toThrow(
      "Invalid model option 'clases'",
    );
    expect(() => createModel('seresnext50_32x4d', { weights: 'imagenet' as never })).toThrow(
      'Invalid weights',
    );
    expect(() => createModel('legacy_senet154', { inputShape: [16, 16, 3] })).toThrow(
      'Invalid inputShape height: 16',
    );
  });
  it('impossible architectures', () => {
    const base = { block: 'bottleneck', layers: [1, 1, 1, 1], layout: 'timm', se: false } as const;
    expect(() => buildResidualNetwork({ ...base, stem: '3x3' })).toThrow(
      `Invalid stem: "3x3". Expected '7x7': the three-3×3 stem exists in the caffe layout.`,
    );
    expect(() => buildResidualNetwork({ ...base, block: 'basic', groups: 32 })).toThrow(
      'Invalid layer1.0 groups/baseWidth',
    );
    expect(() =>
      buildResidualNetwork({ ...base, groups: 32, baseWidth: 4, reduceFirst: 3 }),
    ).toThrow('Invalid layer1.0 reduceFirst: 3. Expected a divisor of the 128 bottleneck width.');
    expect(() => buildResidualNetwork({ ...base, baseWidth: 0 })).toThrow(
      'Invalid layer1.0 baseWidth: 0. Expected an integer ≥ 1.',
    );
    expect(() => buildResidualNetwork({ ...base, layers: [1, 1, 0, 1] })).toThrow(
      'Invalid layers[2]: 0',
    );
  });
});
