import { countMacs, countParams, createModel, getModelInfo, listModels } from '@se/core';
import { describe, expect, it } from 'vitest';
import { type ResNetModelName, resNet } from '../src/index.js';

// Parameter counts of the reference implementations (timm 1.0.29 / the Caffe port), to the digit.
const REFERENCE_PARAMS: Record<ResNetModelName, number> = {
  resnet18: 11_689_512,
  resnet34: 21_797_672,
  resnet50: 25_557_032,
  resnet101: 44_549_160,
  resnet152: 60_192_808,
  seresnet18: 11_779_624,
  seresnet34: 21_960_416,
  seresnet50: 28_088_024,
  seresnet101: 49_326_872,
  seresnet152: 66_821_848,
  legacy_seresnet18: 11_778_592,
  legacy_seresnet34: 21_958_868,
  legacy_seresnet50: 28_088_024,
  legacy_seresnet101: 49_326_872,
  legacy_seresnet152: 66_821_848,
};

describe('every registered ResNet has the reference parameter count', () => {
  it('registers exactly the 15 timm names', () => {
    expect(listModels((m) => m.family === 'resnet').map((m) => m.name)).toEqual(
      Object.keys(REFERENCE_PARAMS).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    );
  });
  for (const [name, params] of Object.entries(REFERENCE_PARAMS) as [ResNetModelName, number][]) {
    it(`${name}: ${params.toLocaleString('en-US')}`, () => {
      const model = createModel(name);
      expect(countParams(model)).toBe(params);
      model.dispose();
    });
  }
});

describe('MACs at 224² against the paper (Table 2, Caffe layout)', () => {
  const within1Percent = (macs: number, paperG: number) =>
    expect(Math.abs(macs / 1e9 - paperG) / paperG).toBeLessThan(0.01);
  for (const [depth, plain, se] of [
    [50, 3.86, 3.87],
    [101, 7.58, 7.6],
    [152, 11.3, 11.32],
  ] as const) {
    it(`ResNet-${depth} ${plain} G, SE-ResNet-${depth} ${se} G`, () => {
      const seModel = createModel(`legacy_seresnet${depth}`);
      within1Percent(countMacs(seModel), se);
      expect(getModelInfo(`legacy_seresnet${depth}`).paper?.gmacs).toBe(se);
      const plainModel = resNet({ depth, layout: 'caffe' });
      within1Percent(countMacs(plainModel), plain);
      seModel.dispose();
      plainModel.dispose();
    });
  }
  it('the timm layout (stride on the 3×3) costs the well-known 4.09 G for ResNet-50', () => {
    const plain = createModel('resnet50');
    const withSE = createModel('seresnet50');
    expect(countMacs(plain)).toBe(4_089_184_256);
    // SE adds its FC layers only: Σ 2·C·C/16 over the 16 blocks.
    const fcMacs = 3 * 2 * 256 * 16 + 4 * 2 * 512 * 32 + 6 * 2 * 1024 * 64 + 3 * 2 * 2048 * 128;
    expect(countMacs(withSE) - countMacs(plain)).toBe(fcMacs);
    plain.dispose();
    withSE.dispose();
  });
});
