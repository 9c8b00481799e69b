import {
  countMacs,
  countParams,
  createModel,
  getModelInfo,
  listModels,
  type ModelName,
  torchStateDictMapping,
} from '@se/core';
import { readKeysFixture, stateDictKeys } from '@se/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  MOBILENET_MODEL_NAMES,
  MOBILENET_V1_STAGES,
  type MobileNetModelName,
  mobileNetV1,
  roundChannels,
  seMobileNetV1,
} from '../src/index.js';

const fixture = (path: string) => new URL(`./fixtures/${path}`, import.meta.url);

/** Parameters of MobileNet v1 at width α by hand, and of its SE blocks (⌊C/16⌋ hidden units). */
function handCount(alpha: number): { plain: number; se: number } {
  const stem = roundChannels(32, alpha);
  let plain = 27 * stem + 2 * stem;
  let se = 0;
  let inputs = stem;
  for (const { blocks, channels } of MOBILENET_V1_STAGES) {
    const c = roundChannels(channels, alpha);
    for (let i = 0; i < blocks; i++) {
      // conv_dw 9·C_in, bn1 2·C_in, conv_pw C_in·C, bn2 2·C.
      plain += 9 * inputs + 2 * inputs + inputs * c + 2 * c;
      const hidden = Math.floor(c / 16);
      se += 2 * c * hidden + hidden + c;
      inputs = c;
    }
  }
  plain += inputs * 1000 + 1000;
  return { plain, se: plain + se };
}

describe('parameter counts', () => {
  it('registers the four widths and their SE twins, the names of ModelName', () => {
    const names = [
      'mobilenetv1_025',
      'mobilenetv1_050',
      'mobilenetv1_075',
      'mobilenetv1_100',
      'se_mobilenetv1_025',
      'se_mobilenetv1_050',
      'se_mobilenetv1_075',
      'se_mobilenetv1_100',
    ] as const;
    expect(listModels((m) => m.family === 'mobilenet').map((m) => m.name)).toEqual(names);
    expect([...MOBILENET_MODEL_NAMES].sort()).toEqual(names);
    expectTypeOf<ModelName>().toEqualTypeOf<MobileNetModelName>();
    expectTypeOf<MobileNetModelName>().toEqualTypeOf<(typeof names)[number]>();
    expect(getModelInfo('se_mobilenetv1_100').twin).toBe('mobilenetv1_100');
  });
  it("mobilenetv1_100 has timm's 4,231,976 and SE-MobileNet 4,718,044 (paper: 4.2M → 4.7M)", () => {
    const plain = createModel('mobilenetv1_100');
    const withSE = createModel('se_mobilenetv1_100');
    expect(countParams(plain)).toBe(4_231_976);
    expect(countParams(withSE)).toBe(4_718_044);
    expect(handCount(1)).toEqual({ plain: 4_231_976, se: 4_718_044 });
    plain.dispose();
    withSE.dispose();
  });
  for (const [alpha, plainParams] of [
    [0.25, 470_072],
    [0.5, 1_331_592],
    [0.75, 2_585_560],
  ] as const) {
    it(`α = ${alpha}: ${plainParams.toLocaleString('en-US')} (MobileNet paper's Table 6 rounded)`, () => {
      const plain = mobileNetV1({ alpha });
      const withSE = seMobileNetV1({ alpha });
      expect(countParams(plain)).toBe(plainParams);
      expect(countParams(withSE)).toBe(handCount(alpha).se);
      expect(handCount(alpha).plain).toBe(plainParams);
      plain.dispose();
      withSE.dispose();
    });
  }
});

describe("timm's state_dict", () => {
  it('mobilenetv1_100 has exactly the keys and shapes of timm, in order', async () => {
    const model = createModel('mobilenetv1_100');
    const reference = await readKeysFixture(fixture('keys/mobilenetv1_100.json'));
    expect(stateDictKeys(model)).toEqual(reference);
    model.dispose();
  });
  it('the SE blocks add se.fc1/fc2 after every pointwise BN', () => {
    const model = createModel('se_mobilenetv1_100');
    const keys = torchStateDictMapping(model)
      .map((m) => m.key)
      .filter((k) => k.includes('.se.'));
    expect(keys.length).toBe(13 * 4);
    expect(keys.slice(0, 4)).toEqual([
      'blocks.0.0.se.fc1.weight',
      'blocks.0.0.se.fc1.bias',
      'blocks.0.0.se.fc2.weight',
      'blocks.0.0.se.fc2.bias',
    ]);
    const names = model.layers.map((l) => l.name);
    expect(names.indexOf('blocks.0.0.se')).toBe(names.indexOf('blocks.0.0.bn2.act') + 1);
    model.dispose();
  });
});

describe('MACs at 224² (SE paper Table 3: 569 → 572 MFLOPs)', () => {
  it('plain 568.7 M and SE 569.2 M, both within 1 % of the paper', () => {
    const plain = mobileNetV1();
    const withSE = seMobileNetV1();
    const plainMacs = countMacs(plain);
    const seMacs = countMacs(withSE);
    expect(plainMacs).toBe(568_740_352);
    expect(Math.abs(plainMacs / 569e6 - 1)).toBeLessThan(0.01);
    expect(Math.abs(seMacs / 572e6 - 1)).toBeLessThan(0.01);
    // SE adds its FC layers only: Σ 2·C·⌊C/16⌋ over the 13 blocks.
    const fc = 2 * (64 * 4 + 2 * 128 * 8 + 2 * 256 * 16 + 6 * 512 * 32 + 2 * 1024 * 64);
    expect(seMacs - plainMacs).toBe(fc);
    // Counting SE's scaling too (one multiply per scaled element, Σ H·W·C) as the paper's 572 does.
    const scaled =
      112 * 112 * 64 + 56 * 56 * 128 * 2 + 28 * 28 * 256 * 2 + 14 * 14 * 512 * 6 + 7 * 7 * 1024 * 2;
    const withScale = countMacs(withSE, { seScale: true });
    expect(withScale - seMacs).toBe(scaled);
    expect(Math.abs(withScale / 572e6 - 1)).toBeLessThan(0.001);
    plain.dispose();
    withSE.dispose();
  });
  it("the widths cost the MobileNet paper's 41 / 149 / 325 M MACs", () => {
    for (const [alpha, paper] of [
      [0.25, 41e6],
      [0.5, 149e6],
      [0.75, 325e6],
    ] as const) {
      const model = mobileNetV1({ alpha });
      expect(Math.abs(countMacs(model) / paper - 1)).toBeLessThan(0.01);
      model.dispose();
    }
  });
});

describe('training', () => {
  it('forward and backward at 32×32: finite loss and gradients for every weight', () => {
    const model = seMobileNetV1({
      alpha: 0.25,
      inputShape: [32, 32, 3],
      classes: 5,
      classifierActivation: 'linear',
    });
    expect(model.outputs[0]?.shape).toEqual([null, 5]);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3);
    const labels = tf.oneHot(tf.tensor1d([1, 4], 'int32'), 5);
    const { value, grads } = tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor),
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(model.trainableWeights.length);
    for (const g of Object.values(grads)) {
      expect(tf.all(tf.isFinite(g)).dataSync()[0]).toBe(1);
    }
    // The depthwise kernels do get a gradient.
    const dw = Object.entries(grads).find(([k]) => k.startsWith('blocks.3.2.conv_dw'));
    expect(dw && tf.max(tf.abs(dw[1])).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, labels, value, ...Object.values(grads)]);
    model.dispose();
  });
});

describe('options', () => {
  it('includeTop: false gives the 1024-channel feature map, or pooled features', () => {
    const features = mobileNetV1({ includeTop: false, inputShape: [64, 64, 3] });
    expect(features.outputs[0]?.shape).toEqual([null, 2, 2, 1024]);
    const pooled = mobileNetV1({ includeTop: false, pooling: 'avg', inputShape: [null, null, 3] });
    expect(pooled.outputs[0]?.shape).toEqual([null, 1024]);
    features.dispose();
    pooled.dispose();
  });
  it('se.position and se.stages move and restrict the SE blocks', () => {
    const model = seMobileNetV1({ alpha: 0.25, se: { position: '3x3', stages: [5] } });
    const names = model.layers.map((l) => l.name);
    expect(names.filter((n) => n.endsWith('.se'))).toEqual(['blocks.4.0.se', 'blocks.4.1.se']);
    expect(names.indexOf('blocks.4.0.se')).toBe(names.indexOf('blocks.4.0.bn1.act') + 1);
    model.dispose();
  });
  it('names the bad option', () => {
    expect(() => mobileNetV1({ alpha: 0.6 as 0.5 })).toThrow(
      'Invalid alpha: 0.6. Expected one of 0.25, 0.5, 0.75, 1.',
    );
    expect(() => mobileNetV1({ activation: 'gelu' as 'relu' })).toThrow(
      `Invalid activation: "gelu". Expected one of 'relu6', 'relu'.`,
    );
    expect(() => seMobileNetV1({ se: { position: 'identity' } })).toThrow(
      'Invalid se.position: "identity".',
    );
    expect(() => mobileNetV1({ inputShape: [16, 16, 3] })).toThrow(
      'Invalid inputShape height: 16. Expected null or an integer ≥ 32',
    );
    expect(() => createModel('mobilenetv1_100', { clases: 10 } as object)).toThrow(
      "Invalid model option 'clases'",
    );
  });
});
