import { countMacs, countParams, createModel, getModelInfo, listModels } from '@se/core';
import { readKeysFixture, sortByKey, stateDictKeys } from '@se/testing';
import { describe, expect, it } from 'vitest';
import { type ResNeXtModelName, resNeXt } from '../src/index.js';

const fixture = (path: string) => new URL(`./fixtures/${path}`, import.meta.url);

/** Reference parameter counts (timm 1.0.29), to the digit. */
const REFERENCE_PARAMS: Record<ResNeXtModelName, number> = {
  resnext50_32x4d: 25_028_904,
  resnext101_32x4d: 44_177_704,
  seresnext50_32x4d: 27_559_896,
  seresnext101_32x4d: 48_955_416,
  legacy_seresnext26_32x4d: 16_790_280,
  legacy_seresnext50_32x4d: 27_559_896,
  legacy_seresnext101_32x4d: 48_955_416,
  legacy_senet154: 115_088_984,
  senet154: 115_088_984,
};

/** timm's tensors of a model ([key, PyTorch shape], with the BN buffers), where a file has them. */
const KEYS_FILES = ['seresnext50_32x4d', 'legacy_seresnext50_32x4d', 'legacy_senet154'];
const referenceKeys = (name: string) =>
  KEYS_FILES.includes(name) ? readKeysFixture(fixture(`keys/${name}.json`)) : undefined;

const BUFFERS = ['running_mean', 'running_var', 'num_batches_tracked'];
const trainable = (keys: [string, number[]][]) =>
  keys
    .filter(([key]) => !BUFFERS.some((b) => key.endsWith(b)))
    .reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);

/** Paper Table 2 GMACs at 224² (SENet-154: the paper's text). */
const PAPER_GMACS: Record<string, number> = {
  legacy_seresnext50_32x4d: 4.25,
  legacy_seresnext101_32x4d: 8.0,
  legacy_senet154: 20.7,
};

/** MACs at 224² of each model, filled in as the first describe builds it (once: 115 M weights). */
const macs = new Map<string, number>();

describe('every registered model: reference parameters, timm keys, paper MACs (± 1%)', () => {
  it('registers the timm names and senet154', () => {
    expect(listModels((m) => m.family === 'resnext').map((m) => m.name)).toEqual(
      Object.keys(REFERENCE_PARAMS).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    );
    expect(getModelInfo('resnext50_32x4d').twin).toBe('seresnext50_32x4d');
    expect(getModelInfo('seresnext101_32x4d').twin).toBe('resnext101_32x4d');
    expect(getModelInfo('senet154').paper?.gmacs).toBe(20.7);
  });
  for (const [name, params] of Object.entries(REFERENCE_PARAMS) as [ResNeXtModelName, number][]) {
    if (name === 'senet154') continue; // builds legacy_senet154, name and all
    const paper = PAPER_GMACS[name];
    // The keys files: seresnext50_32x4d, legacy_seresnext50_32x4d, legacy_senet154.
    it(`${name}: ${params.toLocaleString('en-US')}${paper ? `, ${paper} GMACs` : ''}`, async () => {
      const model = createModel(name);
      expect(countParams(model)).toBe(params);
      const keys = await referenceKeys(name);
      if (keys) {
        // Key by key: exactly timm's tensors with timm's (PyTorch) shapes.
        expect(trainable(keys)).toBe(params);
        expect(sortByKey(stateDictKeys(model))).toEqual(sortByKey(keys));
      }
      macs.set(name, countMacs(model));
      if (paper) {
        expect(Math.abs((macs.get(name) ?? 0) / 1e9 - paper) / paper).toBeLessThan(0.01);
        expect(getModelInfo(name).paper?.gmacs).toBe(paper);
      }
      model.dispose();
    });
  }
});

describe('MACs of the layouts', () => {
  it('both layouts of SE-ResNeXt-50 stride on the grouped 3×3, so they cost the same', () => {
    expect(macs.get('seresnext50_32x4d')).toBe(4_232_994_816);
    expect(macs.get('legacy_seresnext50_32x4d')).toBe(4_232_994_816);
    expect(macs.get('legacy_seresnext101_32x4d')).toBe(macs.get('seresnext101_32x4d'));
  });
  it('SE adds its FC layers only: Σ 2·C·C/16 over the 16 units of ResNeXt-50', () => {
    const fcMacs = 3 * 2 * 256 * 16 + 4 * 2 * 512 * 32 + 6 * 2 * 1024 * 64 + 3 * 2 * 2048 * 128;
    expect(4_232_994_816 - (macs.get('resnext50_32x4d') ?? 0)).toBe(fcMacs);
  });
  it('the Caffe-layout ResNeXt-50 through resNeXt() is the plain twin', () => {
    const plain = resNeXt({ depth: 50, layout: 'caffe', inputShape: [64, 64, 3] });
    expect(plain.getLayer('layer2.0.conv2').outputShape).toEqual([null, 8, 8, 256]);
    expect(plain.layers.some((l) => l.name.includes('se_module'))).toBe(false);
    expect(countParams(plain)).toBe(25_028_904);
    plain.dispose();
  });
});
