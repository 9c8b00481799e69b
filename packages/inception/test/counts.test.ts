import { readFile } from 'node:fs/promises';
import {
  countMacs,
  countParams,
  createModel,
  getModelInfo,
  listModels,
  torchStateDictMapping,
} from '@se/core';
import type * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import '../src/index.js';

type Key = [string, number[]];

const sorted = (keys: Key[]) => [...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const ours = (model: tf.LayersModel): Key[] =>
  torchStateDictMapping(model).map((m) => [m.key, m.torchShape]);
const isParameter = ([key]: Key) => !/\.(running_mean|running_var|num_batches_tracked)$/.test(key);
const paramsOf = (keys: Key[]) =>
  keys.filter(isParameter).reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);

/** `state_dict` keys of a BatchNorm2d named `name` over `c` channels. */
const bnKeys = (name: string, c: number): Key[] => [
  [`${name}.weight`, [c]],
  [`${name}.bias`, [c]],
  [`${name}.running_mean`, [c]],
  [`${name}.running_var`, [c]],
  [`${name}.num_batches_tracked`, []],
];
/** SE block `name` on `c` channels with hidden width ⌊c/16⌋ and biases (1×1-conv form). */
const seKeys = (name: string, c: number): Key[] => {
  const h = Math.floor(c / 16);
  return [
    [`${name}.fc1.weight`, [h, c, 1, 1]],
    [`${name}.fc1.bias`, [h]],
    [`${name}.fc2.weight`, [c, h, 1, 1]],
    [`${name}.fc2.bias`, [c]],
  ];
};

// ---------------------------------------------------------------------------------------------
// SE-BN-Inception, transcribed from the Caffe release's models/SE-BN-Inception.prototxt
// (hujie-frank/SENet): every Convolution has `bias_term: false` and is followed by BatchNorm +
// Scale (γ, β per channel); each module's concat feeds global pooling → 1×1 conv C → C/16 (with
// bias) → ReLU → 1×1 conv C/16 → C (with bias) → Sigmoid → Scale. Names as Cadene's port.
// [module, input C, 1×1, 3×3 reduce, 3×3, double reduce, double 3×3 a, double 3×3 b, pool proj]
// Reduction modules (3c, 4e: 3×3/2 convolutions, max pool passed through) have no 1×1 or proj.
const PROTOTXT_MODULES: [string, number, number, number, number, number, number, number, number][] =
  [
    ['3a', 192, 64, 64, 64, 64, 96, 96, 32],
    ['3b', 256, 64, 64, 96, 64, 96, 96, 64],
    ['3c', 320, 0, 128, 160, 64, 96, 96, 0],
    ['4a', 576, 224, 64, 96, 96, 128, 128, 128],
    ['4b', 576, 192, 96, 128, 96, 128, 128, 128],
    ['4c', 576, 160, 128, 160, 128, 160, 160, 128],
    ['4d', 608, 96, 128, 192, 160, 192, 192, 128],
    ['4e', 608, 0, 128, 192, 192, 256, 256, 0],
    ['5a', 1056, 352, 192, 320, 160, 224, 224, 128],
    ['5b', 1024, 352, 192, 320, 192, 224, 224, 128],
  ];
/** Output side of each module's input map at 224², and of its stride-2 convolutions' output. */
const PROTOTXT_SIZES: Record<string, [number, number]> = {
  '3a': [28, 28],
  '3b': [28, 28],
  '3c': [28, 14],
  '4a': [14, 14],
  '4b': [14, 14],
  '4c': [14, 14],
  '4d': [14, 14],
  '4e': [14, 7],
  '5a': [7, 7],
  '5b': [7, 7],
};

/** Keys and MACs at 224² of (SE-)BN-Inception, derived layer by layer from the prototxt. */
function bnInceptionReference(se: boolean): { keys: Key[]; macs: number } {
  const keys: Key[] = [];
  let macs = 0;
  const conv = (name: string, cin: number, cout: number, k: number, outSide: number) => {
    keys.push([`${name}.weight`, [cout, cin, k, k]], ...bnKeys(`${name}_bn`, cout));
    macs += cout * cin * k * k * outSide * outSide;
  };
  conv('conv1_7x7_s2', 3, 64, 7, 112);
  conv('conv2_3x3_reduce', 64, 64, 1, 56);
  conv('conv2_3x3', 64, 192, 3, 56);
  for (const [id, cin, c1, r3, c3, rd, da, db, proj] of PROTOTXT_MODULES) {
    const p = `inception_${id}`;
    const [side, outSide] = PROTOTXT_SIZES[id] ?? [0, 0];
    const reduction = c1 === 0;
    if (!reduction) conv(`${p}_1x1`, cin, c1, 1, side);
    conv(`${p}_3x3_reduce`, cin, r3, 1, side);
    conv(`${p}_3x3`, r3, c3, 3, outSide);
    conv(`${p}_double_3x3_reduce`, cin, rd, 1, side);
    conv(`${p}_double_3x3_1`, rd, da, 3, side);
    conv(`${p}_double_3x3_2`, da, db, 3, outSide);
    if (!reduction) conv(`${p}_pool_proj`, cin, proj, 1, side);
    const out = c1 + c3 + db + (reduction ? cin : proj);
    if (se) {
      keys.push(...seKeys(`${p}_se`, out));
      macs += 2 * out * Math.floor(out / 16);
    }
  }
  keys.push(['last_linear.weight', [1000, 1024]], ['last_linear.bias', [1000]]);
  macs += 1024 * 1000;
  return { keys, macs };
}

// ---------------------------------------------------------------------------------------------
// timm's inception_v3 (timm/models/inception_v3.py), transcribed module by module: every
// ConvNormAct is `.conv.weight` (no bias) and `.bn.*`; no AuxLogits (aux_logits=False).
function inceptionV3Reference(se: boolean): Key[] {
  const keys: Key[] = [];
  const cna = (name: string, cin: number, cout: number, kh: number, kw = kh) =>
    keys.push([`${name}.conv.weight`, [cout, cin, kh, kw]], ...bnKeys(`${name}.bn`, cout));
  const seBlock = (name: string, c: number) => {
    if (se) keys.push(...seKeys(`${name}.se`, c));
  };
  const A = (p: string, c: number, poolFeatures: number) => {
    cna(`${p}.branch1x1`, c, 64, 1);
    cna(`${p}.branch5x5_1`, c, 48, 1);
    cna(`${p}.branch5x5_2`, 48, 64, 5);
    cna(`${p}.branch3x3dbl_1`, c, 64, 1);
    cna(`${p}.branch3x3dbl_2`, 64, 96, 3);
    cna(`${p}.branch3x3dbl_3`, 96, 96, 3);
    cna(`${p}.branch_pool`, c, poolFeatures, 1);
    seBlock(p, 224 + poolFeatures);
  };
  const B = (p: string, c: number) => {
    cna(`${p}.branch3x3`, c, 384, 3);
    cna(`${p}.branch3x3dbl_1`, c, 64, 1);
    cna(`${p}.branch3x3dbl_2`, 64, 96, 3);
    cna(`${p}.branch3x3dbl_3`, 96, 96, 3);
    seBlock(p, 384 + 96 + c);
  };
  const C = (p: string, c: number, c7: number) => {
    cna(`${p}.branch1x1`, c, 192, 1);
    cna(`${p}.branch7x7_1`, c, c7, 1);
    cna(`${p}.branch7x7_2`, c7, c7, 1, 7);
    cna(`${p}.branch7x7_3`, c7, 192, 7, 1);
    cna(`${p}.branch7x7dbl_1`, c, c7, 1);
    cna(`${p}.branch7x7dbl_2`, c7, c7, 7, 1);
    cna(`${p}.branch7x7dbl_3`, c7, c7, 1, 7);
    cna(`${p}.branch7x7dbl_4`, c7, c7, 7, 1);
    cna(`${p}.branch7x7dbl_5`, c7, 192, 1, 7);
    cna(`${p}.branch_pool`, c, 192, 1);
    seBlock(p, 768);
  };
  const D = (p: string, c: number) => {
    cna(`${p}.branch3x3_1`, c, 192, 1);
    cna(`${p}.branch3x3_2`, 192, 320, 3);
    cna(`${p}.branch7x7x3_1`, c, 192, 1);
    cna(`${p}.branch7x7x3_2`, 192, 192, 1, 7);
    cna(`${p}.branch7x7x3_3`, 192, 192, 7, 1);
    cna(`${p}.branch7x7x3_4`, 192, 192, 3);
    seBlock(p, 320 + 192 + c);
  };
  const E = (p: string, c: number) => {
    cna(`${p}.branch1x1`, c, 320, 1);
    cna(`${p}.branch3x3_1`, c, 384, 1);
    cna(`${p}.branch3x3_2a`, 384, 384, 1, 3);
    cna(`${p}.branch3x3_2b`, 384, 384, 3, 1);
    cna(`${p}.branch3x3dbl_1`, c, 448, 1);
    cna(`${p}.branch3x3dbl_2`, 448, 384, 3);
    cna(`${p}.branch3x3dbl_3a`, 384, 384, 1, 3);
    cna(`${p}.branch3x3dbl_3b`, 384, 384, 3, 1);
    cna(`${p}.branch_pool`, c, 192, 1);
    seBlock(p, 2048);
  };
  cna('Conv2d_1a_3x3', 3, 32, 3);
  cna('Conv2d_2a_3x3', 32, 32, 3);
  cna('Conv2d_2b_3x3', 32, 64, 3);
  cna('Conv2d_3b_1x1', 64, 80, 1);
  cna('Conv2d_4a_3x3', 80, 192, 3);
  A('Mixed_5b', 192, 32);
  A('Mixed_5c', 256, 64);
  A('Mixed_5d', 288, 64);
  B('Mixed_6a', 288);
  C('Mixed_6b', 768, 128);
  C('Mixed_6c', 768, 160);
  C('Mixed_6d', 768, 160);
  C('Mixed_6e', 768, 192);
  D('Mixed_7a', 768);
  E('Mixed_7b', 1280);
  E('Mixed_7c', 2048);
  keys.push(['fc.weight', [1000, 2048]], ['fc.bias', [1000]]);
  return keys;
}

/** timm's inception_resnet_v2 keys (fixture) plus, for SE, one block per residual block. */
async function inceptionResNetV2Reference(se: boolean): Promise<Key[]> {
  const url = new URL('./fixtures/keys/inception_resnet_v2.json', import.meta.url);
  const keys = (JSON.parse(await readFile(url, 'utf8')) as { tensors: Key[] }).tensors;
  if (!se) return keys;
  const blocks: [string, number][] = [
    ...Array.from({ length: 10 }, (_, i): [string, number] => [`repeat.${i}`, 320]),
    ...Array.from({ length: 20 }, (_, i): [string, number] => [`repeat_1.${i}`, 1088]),
    ...Array.from({ length: 9 }, (_, i): [string, number] => [`repeat_2.${i}`, 2080]),
    ['block8', 2080],
  ];
  return [...keys, ...blocks.flatMap(([name, c]) => seKeys(`${name}.se`, c))];
}

describe('the family registers six models', () => {
  it('plain and SE twins of the three networks', () => {
    expect(listModels((m) => m.family === 'inception').map((m) => m.name)).toEqual([
      'bninception',
      'inception_resnet_v2',
      'inception_v3',
      'se_bninception',
      'se_inception_resnet_v2',
      'se_inception_v3',
    ]);
    expect(getModelInfo('se_bninception')).toMatchObject({
      twin: 'bninception',
      se: true,
      package: '@se/inception',
      minInputSize: 31,
      paper: { gmacs: 2.04 },
    });
    expect(getModelInfo('inception_v3').minInputSize).toBe(75);
    expect(getModelInfo('se_inception_resnet_v2').defaultInputShape).toEqual([299, 299, 3]);
  });
});

describe('BN-Inception: exact to the SENet Caffe release (prototxt)', () => {
  for (const se of [false, true]) {
    const name = se ? 'se_bninception' : 'bninception';
    it(`${name}: parameters, MACs at 224² and every Cadene-named tensor`, () => {
      const reference = bnInceptionReference(se);
      // The prototxt, summed layer by layer (conv k²·Cin·Cout, BN+Scale 2·C, SE 2·C·C/16 + C/16 + C).
      expect(paramsOf(reference.keys)).toBe(se ? 11_931_622 : 11_285_224);
      expect(reference.macs).toBe(se ? 2_033_239_424 : 2_032_600_064);
      const model = createModel(name);
      expect(countParams(model)).toBe(paramsOf(reference.keys));
      expect(countMacs(model)).toBe(reference.macs);
      expect(sorted(ours(model))).toEqual(sorted(reference.keys));
      // Paper Table 2: BN-Inception 2.03 G, SE-BN-Inception 2.04 G (rounding aside).
      expect(Math.abs(reference.macs / 1e9 - (se ? 2.04 : 2.03))).toBeLessThan(0.01);
      model.dispose();
    });
  }
  it('SE widths are the prototxt’s 1x1_down widths', () => {
    const model = createModel('se_bninception', { inputShape: [31, 31, 3] });
    const widths = PROTOTXT_MODULES.map(
      ([id]) =>
        torchStateDictMapping(model).find((m) => m.key === `inception_${id}_se.fc1.bias`)
          ?.torchShape[0],
    );
    expect(widths).toEqual([16, 20, 36, 36, 36, 38, 38, 66, 64, 64]);
    model.dispose();
  });
});

describe('Inception-v3: exact to timm inception_v3 (keys derived from its source)', () => {
  for (const se of [false, true]) {
    const name = se ? 'se_inception_v3' : 'inception_v3';
    it(`${name}: every key and shape, parameters and MACs at 299²`, () => {
      const reference = inceptionV3Reference(se);
      expect(paramsOf(reference)).toBe(se ? 25_496_188 : 23_834_568);
      const model = createModel(name);
      const keys = ours(model);
      expect(keys.length).toBe(reference.length);
      expect(sorted(keys)).toEqual(sorted(reference));
      expect(countParams(model)).toBe(paramsOf(reference));
      // SE adds only its FC layers: Σ 2·C·⌊C/16⌋ over the eleven modules.
      const seMacs = [256, 288, 288, 768, 768, 768, 768, 768, 1280, 2048, 2048].reduce(
        (sum, c) => sum + 2 * c * Math.floor(c / 16),
        0,
      );
      expect(countMacs(model)).toBe(5_713_216_096 + (se ? seMacs : 0));
      model.dispose();
    });
  }
});

describe('Inception-ResNet-v2: exact to timm inception_resnet_v2 (keys fixture)', () => {
  for (const se of [false, true]) {
    const name = se ? 'se_inception_resnet_v2' : 'inception_resnet_v2';
    it(`${name}: every key and shape, parameters and MACs at 299²`, async () => {
      const reference = await inceptionResNetV2Reference(se);
      expect(paramsOf(reference)).toBe(se ? 64_387_444 : 55_843_464);
      const model = createModel(name);
      const keys = ours(model);
      expect(keys.length).toBe(reference.length);
      expect(sorted(keys)).toEqual(sorted(reference));
      expect(countParams(model)).toBe(paramsOf(reference));
      const seMacs = 2 * (10 * 320 * 20 + 20 * 1088 * 68 + 10 * 2080 * 130);
      // timm's network costs 13.16 G at 299²; the paper's Table 2 says 11.75 G (→ 11.76 G with
      // SE). SE adds 8.5 M MACs, the paper's +0.01 G.
      expect(countMacs(model)).toBe(13_155_794_016 + (se ? seMacs : 0));
      model.dispose();
    });
  }
});
