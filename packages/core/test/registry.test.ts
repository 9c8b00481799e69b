import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import {
  countParams,
  createModel,
  getModelInfo,
  isModelName,
  listModels,
  type ModelInfo,
  type ModelOptions,
  modelName,
  registerFamily,
  registerModel,
  resolveModelOptions,
  twinModels,
} from '../src/index.js';
import { closeMatches, editDistance } from '../src/registry.js';

const limits = { defaultInputShape: [8, 8, 3] as [number, number, number], minInputSize: 2 };

/** conv 3×3 3 → 4 without bias (108), dense 4 → `classes` (4·classes + classes). */
function tinyNetwork(options: ModelOptions = {}, name = 'tiny'): tf.LayersModel {
  const resolved = resolveModelOptions({ classes: 2, ...options }, limits);
  const input = tf.input({ shape: resolved.inputShape });
  const x = tf.layers
    .conv2d({ filters: 4, kernelSize: 3, useBias: false })
    .apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: resolved.classes }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: resolved.name ?? name });
}

const info = (pkg: string): Omit<ModelInfo, 'name'> => ({
  family: 'test',
  package: pkg,
  se: false,
  description: 'test model',
  ...limits,
});

describe('registry', () => {
  registerModel('test_seresnet50', tinyNetwork, { ...info('@se/core'), se: true });
  registerModel('test_resnet50', tinyNetwork, info('@se/core'));

  it('creates and lists registered models', () => {
    expect(countParams(createModel('test_seresnet50'))).toBe(108 + 4 * 2 + 2);
    expect(listModels('test_*').map((m) => m.name)).toEqual(['test_resnet50', 'test_seresnet50']);
    expect(listModels(/^test_se/).map((m) => m.name)).toEqual(['test_seresnet50']);
    expect(listModels((m) => m.family === 'test' && !m.se).map((m) => m.name)).toEqual([
      'test_resnet50',
    ]);
  });

  it('names close matches for an unknown model', () => {
    expect(() => createModel('test_seresnet5')).toThrow(
      "Unknown model 'test_seresnet5'. Did you mean 'test_seresnet50', 'test_resnet50'?",
    );
    // Names containing the query first, then by edit distance (at most a third of the length).
    expect(
      closeMatches('seresnet50', ['seresnet50d', 'resnet50', 'vgg16', 'seresnext50_32x4d']),
    ).toEqual(['seresnet50d', 'resnet50']);
    expect(editDistance('resnet', 'resnext')).toBe(1);
  });

  it('narrows plain strings to model names', () => {
    expect(isModelName('test_resnet50')).toBe(true);
    expect(isModelName('test_resnet5')).toBe(false);
    expect(modelName('test_resnet50')).toBe('test_resnet50');
    expect(() => modelName('test_resnet5')).toThrow(/Did you mean 'test_resnet50'/);
  });

  it("refuses a name another package's model has", () => {
    expect(() => registerModel('test_resnet50', () => tinyNetwork(), info('x'))).toThrow(
      "A model named 'test_resnet50' is already registered (by @se/core)",
    );
  });

  it('lets the same package register a name again, keeping the last registration', () => {
    const first = (options?: ModelOptions) => tinyNetwork(options, 'first');
    const second = (options?: ModelOptions) => tinyNetwork(options, 'second');
    registerModel('test_again', first, info('@se/again'));
    expect(() =>
      registerModel('test_again', second, { ...info('@se/again'), description: 'v2' }),
    ).not.toThrow();
    expect(createModel('test_again').name).toBe('second');
    expect(getModelInfo('test_again').description).toBe('v2');
  });

  it('registers a family table and returns its factories', () => {
    const calls: [ModelOptions, boolean, string][] = [];
    const factories = registerFamily({
      family: 'test',
      package: '@se/core',
      limits,
      models: {
        ...twinModels({
          plain: 'test_twin',
          se: 'se_test_twin',
          build: (options: ModelOptions, seByDefault, name) => {
            calls.push([options, seByDefault, name]);
            return tinyNetwork(options, name);
          },
          description: { plain: 'plain twin', se: 'SE twin' },
          paper: { se: { gmacs: 1.5, table: 'Table 2' } },
        }),
        test_big: {
          build: (options, name) => tinyNetwork(options, name),
          se: false,
          description: 'a single model with its own input size',
          defaultInputShape: [16, 16, 3],
        },
      },
    });
    expect(Object.keys(factories).sort()).toEqual(['se_test_twin', 'test_big', 'test_twin']);
    expect(getModelInfo('test_twin')).toEqual({
      name: 'test_twin',
      family: 'test',
      package: '@se/core',
      se: false,
      twin: 'se_test_twin',
      description: 'plain twin',
      ...limits,
    });
    expect(getModelInfo('se_test_twin')).toMatchObject({
      se: true,
      twin: 'test_twin',
      description: 'SE twin',
      paper: { gmacs: 1.5, table: 'Table 2' },
    });
    expect(getModelInfo('test_big')).toMatchObject({
      defaultInputShape: [16, 16, 3],
      minInputSize: 2,
    });
    expect(getModelInfo('test_big')).not.toHaveProperty('twin');
    expect(factories.test_twin().name).toBe('test_twin');
    createModel('se_test_twin', { classes: 3 });
    expect(calls).toEqual([
      [{}, false, 'test_twin'],
      [{ classes: 3 }, true, 'se_test_twin'],
    ]);
  });
});

describe('one registry for every copy of @se/core', () => {
  it('keeps the models in a versioned globalThis slot', () => {
    const slot = (globalThis as Record<symbol, unknown>)[Symbol.for('se-zoo.registry')] as {
      version: number;
      models: Map<string, unknown>;
    };
    expect(slot.version).toBe(1);
    expect(slot.models.has('test_resnet50')).toBe(true);
  });

  it('creates through one copy what another copy registered', async () => {
    // Two evaluations of the module, as two installed copies of @se/core are.
    vi.resetModules();
    const a = await import('../src/registry.js');
    vi.resetModules();
    const b = await import('../src/registry.js');
    expect(a.registerModel).not.toBe(b.registerModel);

    a.registerModel('copy_test', (o) => tinyNetwork(o, 'from_a'), info('@se/copy'));
    expect(b.isModelName('copy_test')).toBe(true);
    expect(b.createModel('copy_test').name).toBe('from_a');
    expect(b.listModels('copy_*').map((m) => m.name)).toEqual(['copy_test']);

    // The family package of the second copy registers the same names: no error, it replaces.
    expect(() =>
      b.registerModel('copy_test', (o) => tinyNetwork(o, 'from_b'), info('@se/copy')),
    ).not.toThrow();
    expect(a.createModel('copy_test').name).toBe('from_b');
    expect(createModel('copy_test').name).toBe('from_b');
    // Another package still may not take the name.
    expect(() => b.registerModel('copy_test', () => tinyNetwork(), info('other'))).toThrow(
      /already registered \(by @se\/copy\)/,
    );
  });

  it('refuses a slot that is not a registry', async () => {
    const key = Symbol.for('se-zoo.registry');
    const holder = globalThis as Record<symbol, unknown>;
    const saved = Object.getOwnPropertyDescriptor(globalThis, key);
    expect(saved).toBeDefined();
    // The slot is not writable: simulate a foreign value by redefining it for this check.
    Object.defineProperty(globalThis, key, { value: { version: 0 }, configurable: true });
    try {
      vi.resetModules();
      await expect(import('../src/registry.js')).rejects.toThrow(/not an SE Zoo model registry/);
    } finally {
      if (saved) Object.defineProperty(globalThis, key, saved);
      expect((holder[key] as { version: number }).version).toBe(1);
    }
  });
});
