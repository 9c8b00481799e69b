import {
  createModel,
  exportPyTorchWeights,
  loadPyTorchWeights,
  type ResidualBlockSpec,
  readSafetensors,
  residualBottleneck,
  residualStem,
  resolveResidualSE,
  torchStateDictMapping,
} from '@se/core';
import { parityError, sameBits } from '@se/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { resnextArchitecture, SENET154_ARCHITECTURE } from '../src/index.js';

const fixture = (path: string) => new URL(`./fixtures/${path}`, import.meta.url);

/** The bottleneck knobs of an architecture, as a unit takes them. */
function unitKnobs(architecture: ReturnType<typeof resnextArchitecture>) {
  const { groups, baseWidth, reduceFirst, strideOn } = architecture;
  return { groups, baseWidth, reduceFirst, strideOn } as Partial<ResidualBlockSpec>;
}

describe('parity with timm on the reference fixtures (|Δ| < 1e-4)', () => {
  it('seresnext50_32x4d layer2.0: the downsampling SE-ResNeXt unit (32 groups, stride on the 3×3)', async () => {
    const input = tf.input({ shape: [16, 16, 256] });
    const output = residualBottleneck(input, {
      name: 'layer2.0',
      planes: 128,
      stride: 2,
      layout: 'timm',
      se: resolveResidualSE('timm', true, true),
      ...unitKnobs(resnextArchitecture(50, 'timm', true)),
    });
    const error = await parityError(
      fixture('parity/seresnext50_32x4d_layer2_0.safetensors'),
      tf.model({ inputs: input, outputs: output }),
    );
    expect(error).toBeLessThan(1e-4);
  });
  it('legacy_senet154 layer0, pool0, layer1.0: three 3×3 stem convolutions and a 64-group unit', async () => {
    const input = tf.input({ shape: [64, 64, 3] });
    const stem = residualStem(input, 'caffe', { kind: '3x3', width: 128 });
    const output = residualBottleneck(stem, {
      name: 'layer1.0',
      planes: 64,
      stride: 1,
      layout: 'caffe',
      se: resolveResidualSE('caffe', true, true),
      ...unitKnobs(SENET154_ARCHITECTURE),
      shortcutKernel: 1, // stage 1's projection is 1×1; stages 2–4 use SENet-154's 3×3
    });
    const error = await parityError(
      fixture('parity/legacy_senet154_stem_layer1_0.safetensors'),
      tf.model({ inputs: input, outputs: output }),
    );
    expect(error).toBeLessThan(1e-4);
  });
});

describe('round trip', () => {
  it('export → import is bit-identical, with Caffe names and grouped PyTorch shapes', () => {
    const model = createModel('legacy_seresnext26_32x4d', { inputShape: [32, 32, 3], classes: 5 });
    const bytes = exportPyTorchWeights(model);
    const file = readSafetensors(bytes);
    expect(file.tensors.get('layer1.0.conv2.weight')?.shape).toEqual([128, 4, 3, 3]);
    expect(file.tensors.get('layer4.1.se_module.fc1.weight')?.shape).toEqual([128, 2048, 1, 1]);
    expect(file.tensors.get('last_linear.weight')?.shape).toEqual([5, 2048]);
    expect([...file.tensors.keys()].sort()).toEqual(
      torchStateDictMapping(model)
        .map((m) => m.key)
        .sort(),
    );
    const copy = createModel('legacy_seresnext26_32x4d', { inputShape: [32, 32, 3], classes: 5 });
    loadPyTorchWeights(copy, bytes);
    const copied = copy.getWeights();
    const differing = model.getWeights().filter((w, i) => !sameBits(w, copied[i]));
    expect(differing.map((w) => w.shape)).toEqual([]);
    expect(Buffer.from(exportPyTorchWeights(copy)).equals(Buffer.from(bytes))).toBe(true);
    model.dispose();
    copy.dispose();
  });
});
