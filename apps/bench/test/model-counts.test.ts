import { listModels } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import '../src/zoo.js';
import { MODEL_COUNTS } from '../src/commands/model-counts.js';
import { MODEL_INFOS } from '../src/commands/model-infos.js';
import { countModels, modelsCommand } from '../src/commands/models.js';
import { tabulatedModelsCommand } from '../src/commands/models-table.js';

/**
 * Runs `fn` with tfjs's random initializers filling a constant instead: counts do not depend on
 * the values, and drawing the zoo's billion random weights in JavaScript is most of the work.
 */
function withConstantInitializers<T>(fn: () => T): T {
  type Apply = (shape: number[], dtype?: tf.DataType) => tf.Tensor;
  const classes = tf.serialization.SerializationMap.getMap().classNameMap as unknown as Record<
    string,
    [{ prototype: { apply: Apply } }] | undefined
  >;
  const prototypes = ['RandomUniform', 'RandomNormal', 'TruncatedNormal', 'VarianceScaling'].map(
    (name) => {
      const prototype = classes[name]?.[0].prototype;
      if (!prototype) throw new Error(`tfjs has no ${name} initializer`);
      return { prototype, apply: prototype.apply };
    },
  );
  for (const { prototype } of prototypes) {
    prototype.apply = (shape, dtype) => tf.fill(shape, 0.01, dtype);
  }
  try {
    return fn();
  } finally {
    for (const { prototype, apply } of prototypes) prototype.apply = apply;
  }
}

// When one of these fails, regenerate the tables: `pnpm --filter @se/bench gen:model-counts`.
describe('the generated tables of `se-zoo models` (src/commands/model-infos.ts, model-counts.ts)', () => {
  it("hold what the registry says of every model, in listModels' order", () => {
    expect(MODEL_INFOS).toEqual(
      listModels().map(({ name, family, package: pkg, se, twin, defaultInputShape }) => ({
        name,
        family,
        package: pkg,
        se,
        ...(twin ? { twin } : {}),
        defaultInputShape,
      })),
    );
  });

  it('give `se-zoo models` the table the registry gives, for any filter', () => {
    for (const filter of [undefined, 'seresnet*', 'resnet18', 'mobilenet', '*50']) {
      expect(tabulatedModelsCommand(filter), String(filter)).toEqual(modelsCommand(filter));
    }
    expect(() => tabulatedModelsCommand('no_such_model')).toThrow(
      "No registered model matches 'no_such_model' (86 models are registered; run `se-zoo models` to list them).",
    );
  });

  // Builds all the zoo's models on the cpu backend (with constant weights: see above).
  it('is complete and equals the counts of every registered model, built', () => {
    const infos = listModels();
    // Complete: `se-zoo models` builds no model of the zoo (it would for one missing here).
    expect(Object.keys(MODEL_COUNTS).sort()).toEqual(infos.map((info) => info.name).sort());
    // Exact: each model's (and each SE model's twin's) parameters and MACs.
    expect(withConstantInitializers(() => countModels(infos))).toEqual(MODEL_COUNTS);
  }, 900_000);
});
