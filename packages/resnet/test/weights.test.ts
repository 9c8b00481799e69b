import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createModel,
  exportPyTorchWeights,
  fileSystem,
  loadPyTorchWeights,
  type ResidualLayout,
  readSafetensors,
  residualBottleneck,
  resolveResidualSE,
  torchStateDictMapping,
} from '@se/core';
import { parityError, readKeysFixture, sameBits, sortByKey, stateDictKeys } from '@se/testing';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import '../src/index.js';

const fixture = (path: string) => new URL(`./fixtures/${path}`, import.meta.url);

describe('state_dict mapping, key by key', () => {
  for (const name of ['resnet50', 'seresnet50', 'legacy_seresnet50'] as const) {
    it(`${name} has exactly timm's tensors with timm's shapes`, async () => {
      const model = createModel(name);
      const ours = stateDictKeys(model);
      const reference = await readKeysFixture(fixture(`keys/${name}.json`));
      expect(ours.length).toBe(reference.length);
      expect(sortByKey(ours)).toEqual(sortByKey(reference));
      model.dispose();
    });
  }
});

describe('parity with timm on the reference fixtures (|Δ| < 1e-4)', () => {
  for (const [fixtureName, name] of [
    ['seresnet50_stem_layer1', 'seresnet50'],
    ['legacy_seresnet50_stem_layer1', 'legacy_seresnet50'],
  ] as const) {
    it(`${fixtureName}: stem, pool and stage 1 of ${name}`, async () => {
      const full = createModel(name, { inputShape: [64, 64, 3] });
      const stage1 = tf.model({
        inputs: full.inputs,
        outputs: full.getLayer('layer1.2.act').output,
      });
      expect(await parityError(fixture(`parity/${fixtureName}.safetensors`), stage1)).toBeLessThan(
        1e-4,
      );
      full.dispose();
    });
  }
  for (const [fixtureName, layout] of [
    ['seresnet50_layer2_0', 'timm'],
    ['legacy_seresnet50_layer2_0', 'caffe'],
  ] as [string, ResidualLayout][]) {
    it(`${fixtureName}: the first, downsampling bottleneck of stage 2 (${layout} layout)`, async () => {
      const input = tf.input({ shape: [16, 16, 256] });
      const output = residualBottleneck(input, {
        name: 'layer2.0',
        planes: 128,
        stride: 2,
        layout,
        se: resolveResidualSE(layout, true, true),
      });
      expect(
        await parityError(
          fixture(`parity/${fixtureName}.safetensors`),
          tf.model({ inputs: input, outputs: output }),
        ),
      ).toBeLessThan(1e-4);
    });
  }
});

describe('round trips', () => {
  const probe = () => tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 11);

  it('export → import is bit-identical and the file is what timm loads', async () => {
    const model = createModel('seresnet50', { inputShape: [32, 32, 3] });
    const bytes = exportPyTorchWeights(model);
    const file = readSafetensors(bytes);
    const reference = await readKeysFixture(fixture('keys/seresnet50.json'));
    expect([...file.tensors].map(([k, t]) => [k, t.shape] as [string, number[]]).sort()).toEqual(
      [...reference].sort(),
    );
    expect(file.tensors.get('layer1.0.bn1.num_batches_tracked')?.dtype).toBe('I64');
    const copy = createModel('seresnet50', { inputShape: [32, 32, 3] });
    loadPyTorchWeights(copy, bytes);
    const copied = copy.getWeights();
    const differing = model.getWeights().filter((w, i) => !sameBits(w, copied[i]));
    expect(differing.map((w) => w.shape)).toEqual([]);
    expect(Buffer.from(exportPyTorchWeights(copy)).equals(Buffer.from(bytes))).toBe(true);
    model.dispose();
    copy.dispose();
  });

  it('saves to a directory without tfjs-node and loads back bit-identically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'se-zoo-'));
    try {
      for (const name of ['seresnet18', 'legacy_seresnet18'] as const) {
        const model = createModel(name, { inputShape: [32, 32, 3], classes: 7 });
        await model.save(fileSystem(join(dir, name)));
        const loaded = await tf.loadLayersModel(`file://${join(dir, name, 'model.json')}`);
        expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
        const x = probe();
        expect(sameBits(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBe(true);
        const loadedWeights = loaded.getWeights();
        expect(model.getWeights().every((w, i) => sameBits(w, loadedWeights[i]))).toBe(true);
        // The legacy names survive tfjs's camel-casing of saved configs.
        expect(torchStateDictMapping(loaded).map((m) => m.key)).toEqual(
          torchStateDictMapping(model).map((m) => m.key),
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('weight errors name the tensor', () => {
  const model = () => createModel('resnet18', { inputShape: [32, 32, 3] });
  const exported = () => readSafetensors(exportPyTorchWeights(model())).tensors;
  it('a missing tensor', () => {
    const tensors = exported();
    tensors.delete('layer3.1.conv2.weight');
    expect(() => loadPyTorchWeights(model(), tensors)).toThrow(
      'PyTorch weights are missing 1 tensor(s) the model needs: layer3.1.conv2.weight',
    );
  });
  it('an extra tensor', () => {
    const tensors = exported();
    const extra = tensors.get('fc.bias');
    if (extra) tensors.set('head.bias', extra);
    expect(() => loadPyTorchWeights(model(), tensors)).toThrow(
      'PyTorch weights have 1 tensor(s) the model does not: head.bias',
    );
  });
  it('a wrongly shaped tensor, and nothing is assigned', () => {
    const target = model();
    const before = Array.from(target.getLayer('fc').getWeights()[1]?.dataSync() ?? []);
    const tensors = exported();
    const fc = tensors.get('fc.weight');
    if (fc)
      tensors.set('fc.weight', {
        ...fc,
        shape: [10, 51200],
        data: new Float32Array(512000),
      } as typeof fc);
    expect(() => loadPyTorchWeights(target, tensors)).toThrow(
      'fc.weight: file has [10, 51200], model needs [1000, 512]',
    );
    expect(Array.from(target.getLayer('fc').getWeights()[1]?.dataSync() ?? [])).toEqual(before);
  });
  it('a non-strict load reports what it skipped', () => {
    const tensors = exported();
    tensors.delete('fc.weight');
    tensors.delete('fc.bias');
    const result = loadPyTorchWeights(model(), tensors, { strict: false });
    expect(result.missing).toEqual(['fc.weight', 'fc.bias']);
    expect(result.unexpected).toEqual([]);
  });
});
