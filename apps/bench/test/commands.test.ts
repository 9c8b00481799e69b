import { type ModelOptions, registerFamily, twinModels } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { MODEL_COUNTS } from '../src/commands/model-counts.js';
import { modelsCommand, overheadPercent } from '../src/commands/models.js';
import { parseInputShape, summaryCommand } from '../src/commands/summary.js';
import { CliError } from '../src/errors.js';

// ResNet-18 at 224×224×3, worked out by hand (convolutions and the classifier; no BN, no pooling):
//   conv1 7×7, 3 → 64 at 112×112:                          118,013,952
//   layer1, four 3×3 64 → 64 at 56×56:                     462,422,016
//   layer2/3/4, each 57,802,752 + 3 × 115,605,504 + 6,422,528 (1×1 downsample): 3 × 411,041,792
//   fc 512 → 1000:                                              512,000
const RESNET18_PARAMS = 11_689_512; // torchvision and timm
const RESNET18_MACS = 1_814_073_344;
// At 64×64×3 every feature map has (32/112)² of its area at 224×224×3; the classifier is unchanged.
const RESNET18_MACS_64 = ((RESNET18_MACS - 512_000) / 12_544) * 1_024 + 512_000;

describe('se-zoo models', () => {
  it('lists resnet18 with its exact parameters and MACs', () => {
    const progress: string[] = [];
    const { rows, text } = modelsCommand('resnet18*', {
      onProgress: (name) => progress.push(name),
    });
    expect(rows.map((row) => row.name)).toEqual(['resnet18']);
    // Its counts come from the generated table: nothing is built.
    expect(progress).toEqual([]);
    const [row] = rows;
    expect(row).toMatchObject({
      name: 'resnet18',
      family: 'resnet',
      package: '@se/resnet',
      se: false,
      inputShape: [224, 224, 3],
      params: RESNET18_PARAMS,
      macs: RESNET18_MACS,
    });
    expect(row?.overhead).toBeUndefined();
    expect(text).toContain('resnet18');
    expect(text).toContain('11,689,512');
    expect(text).toContain('1.81 G');
    expect(text).toMatch(/1 model$/);
  });

  it('gives the SE overhead of seresnet18 over its twin resnet18', () => {
    const { rows, text } = modelsCommand('seresnet18*');
    expect(rows.map((row) => row.name)).toEqual(['seresnet18']);
    const [row] = rows;
    expect(row?.se).toBe(true);
    expect(row?.twin).toBe('resnet18');
    const params = row?.params ?? 0;
    // SE adds two small FC layers per block: under 1% of the parameters of ResNet-18 …
    expect(params).toBeGreaterThan(RESNET18_PARAMS);
    expect(row?.overhead?.params).toBeCloseTo(overheadPercent(params, RESNET18_PARAMS), 10);
    expect(row?.overhead?.params).toBeGreaterThan(0.5);
    expect(row?.overhead?.params).toBeLessThan(1);
    // … and a negligible share of its MACs (the paper's "0.26%" for ResNet-50).
    expect(row?.macs).toBeGreaterThan(RESNET18_MACS);
    expect(row?.overhead?.macs).toBeLessThan(0.1);
    expect(text).toMatch(/\+0\.\d\d% \/ \+0\.\d\d% vs resnet18/);
  });

  it('builds and counts a registered model that the generated table lacks', () => {
    // A family registered after the table was generated (test/model-counts.test.ts checks that
    // the table has every model the zoo registers): a conv, optionally an SE gate, a classifier.
    const models = twinModels({
      plain: 'models_test_tiny',
      se: 'models_test_se_tiny',
      build: (options: ModelOptions, seByDefault, defaultName) => {
        const input = tf.input({ shape: options.inputShape ?? [8, 8, 3] });
        let x = tf.layers
          .conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false })
          .apply(input) as tf.SymbolicTensor;
        if (options.se ?? seByDefault) {
          const squeezed = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
          const reduced = tf.layers.dense({ units: 4 }).apply(squeezed) as tf.SymbolicTensor;
          const gate = tf.layers
            .dense({ units: 16, activation: 'sigmoid' })
            .apply(reduced) as tf.SymbolicTensor;
          const scale = tf.layers.reshape({ targetShape: [1, 1, 16] }).apply(gate);
          x = tf.layers.multiply().apply([x, scale as tf.SymbolicTensor]) as tf.SymbolicTensor;
        }
        const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
        const output = tf.layers.dense({ units: 10 }).apply(pooled) as tf.SymbolicTensor;
        return tf.model({ inputs: input, outputs: output, name: options.name ?? defaultName });
      },
      description: { plain: 'A tiny CNN', se: 'A tiny CNN with SE' },
    });
    registerFamily({
      family: 'models-test',
      package: 'test',
      limits: { defaultInputShape: [8, 8, 3], minInputSize: 8 },
      models,
    });
    expect(MODEL_COUNTS).not.toHaveProperty('models_test_tiny');
    const progress: string[] = [];
    const { rows, text } = modelsCommand('models_test_*', {
      onProgress: (name, index, total) => progress.push(`${name} ${index + 1}/${total}`),
    });
    expect(progress).toEqual(['models_test_se_tiny 1/2', 'models_test_tiny 2/2']);
    // conv 3·3·3·16 = 432 weights at 8×8 (27,648 MACs); the SE gate 16·4+4 and 4·16+16 weights
    // (64 + 64 MACs); the classifier 16·10+10 (160 MACs).
    const plain = { params: 432 + 170, macs: 27_648 + 160 };
    const se = { params: plain.params + 68 + 80, macs: plain.macs + 128 };
    expect(rows).toMatchObject([
      { name: 'models_test_se_tiny', se: true, twin: 'models_test_tiny', inputShape: [8, 8, 3] },
      { name: 'models_test_tiny', se: false, twin: 'models_test_se_tiny', inputShape: [8, 8, 3] },
    ]);
    const [seRow, plainRow] = rows;
    expect(plainRow).toMatchObject(plain);
    expect(plainRow?.overhead).toBeUndefined();
    expect(seRow).toMatchObject(se);
    expect(seRow?.overhead?.params).toBeCloseTo(overheadPercent(se.params, plain.params), 10);
    expect(seRow?.overhead?.macs).toBeCloseTo(overheadPercent(se.macs, plain.macs), 10);
    expect(text).toMatch(/models_test_se_tiny .* \+24\.58% \/ \+0\.46% vs models_test_tiny/);
    expect(text).toMatch(/2 models$/);
  });

  it('reports a filter that matches nothing', () => {
    expect(() => modelsCommand('no_such_model')).toThrow(CliError);
    expect(() => modelsCommand('no_such_model')).toThrow(/No registered model matches/);
  });
});

describe('se-zoo summary', () => {
  it('summarizes resnet18 at its default input size', () => {
    const { info, count, text } = summaryCommand('resnet18');
    expect(info.defaultInputShape).toEqual([224, 224, 3]);
    expect(count.inputShape).toEqual([224, 224, 3]);
    expect(count.params).toBe(RESNET18_PARAMS);
    expect(count.trainableParams).toBe(RESNET18_PARAMS);
    expect(count.macs).toBe(RESNET18_MACS);
    expect(text).toContain('Parameters: 11,689,512 (trainable 11,689,512)');
    expect(text).toContain('MACs at 224×224×3: 1,814,073,344 (1.81 G)');
  });

  it('takes another input size', () => {
    const { count, text } = summaryCommand('resnet18', { input: '64,64,3' });
    expect(count.inputShape).toEqual([64, 64, 3]);
    expect(count.params).toBe(RESNET18_PARAMS);
    expect(count.macs).toBe(RESNET18_MACS_64);
    expect(text).toContain('MACs at 64×64×3: 148,557,824');
  });

  it('lists close matches for an unknown name', () => {
    expect(() => summaryCommand('resnet19')).toThrow(CliError);
    expect(() => summaryCommand('resnet19')).toThrow(/Did you mean .*'resnet18'/);
  });

  it('rejects a malformed --input', () => {
    expect(() => summaryCommand('resnet18', { input: '224,224' })).toThrow(/--input expects/);
  });
});

describe('parseInputShape', () => {
  it('reads comma- and x-separated sizes', () => {
    expect(parseInputShape('224,224,3')).toEqual([224, 224, 3]);
    expect(parseInputShape('32x32x3')).toEqual([32, 32, 3]);
    expect(parseInputShape(' 64, 48 ,1')).toEqual([64, 48, 1]);
  });

  it('rejects anything else', () => {
    for (const text of ['', '224', '224,224', '224,224,0', '224,224,3.5', 'a,b,c', '1,2,3,4']) {
      expect(() => parseInputShape(text), text).toThrow(CliError);
    }
  });
});

describe('SE-ResNet-50 against ResNet-50', () => {
  it('counts both as timm does', () => {
    expect(summaryCommand('resnet50').count.params).toBe(25_557_032); // torchvision and timm
    expect(summaryCommand('seresnet50').count.params).toBe(28_088_024); // timm
  });
});
