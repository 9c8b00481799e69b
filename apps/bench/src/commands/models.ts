/**
 * `se-zoo models` from the registry: the rows of every registered model matching a filter, those
 * the generated tables lack counted by building them. The command line lists the zoo from the
 * tables alone (models-table.ts) and comes here only when they lack a model.
 */
import '../zoo.js';
import { createModel, listModels, type ModelInfo, modelName, summarize } from '@se/core';
import { CliError } from '../errors.js';
import { MODEL_COUNTS, type ModelCounts } from './model-counts.js';
import {
  formatModelsTable,
  formatShape,
  type ModelRow,
  modelRow,
  noMatchMessage,
  type Shape3,
  tabulatedCounts,
} from './models-table.js';

export {
  formatModelsTable,
  formatShape,
  type ModelRow,
  overheadPercent,
  type Shape3,
} from './models-table.js';

/** Parameters and MACs of one model at one input size. */
export interface Measurement {
  params: number;
  macs: number;
}

/** Builds `name` at `inputShape` (random initialisation), counts it and frees its weights. */
export function measure(name: string, inputShape: Shape3): Measurement {
  const model = createModel(modelName(name), { inputShape });
  try {
    const count = summarize(model);
    return { params: count.params, macs: count.macs };
  } finally {
    model.dispose();
  }
}

/** The twin `se-zoo models` compares `info` with: an SE model's registered plain twin. */
function comparedTwin(info: ModelInfo): string | undefined {
  return info.se && info.twin && isRegistered(info.twin) ? info.twin : undefined;
}

/**
 * Builds each of `infos` (and each SE model's twin) on the current backend and counts it, as
 * scripts/gen-model-counts.mjs does to generate model-counts.ts. Slow: a minute or more for the
 * whole registry on the cpu backend.
 */
export function countModels(
  infos: readonly ModelInfo[],
  onProgress?: (name: string, index: number, total: number) => void,
): Record<string, ModelCounts> {
  const cache = new Map<string, Measurement>();
  const measured = (name: string, shape: Shape3): Measurement => {
    const key = `${name}@${formatShape(shape)}`;
    let result = cache.get(key);
    if (!result) {
      result = measure(name, shape);
      cache.set(key, result);
    }
    return result;
  };
  const counts: Record<string, ModelCounts> = {};
  infos.forEach((info, index) => {
    onProgress?.(info.name, index, infos.length);
    const input = [...info.defaultInputShape] as Shape3;
    const own = measured(info.name, input);
    const entry: ModelCounts = { input, params: own.params, macs: own.macs };
    const twin = comparedTwin(info);
    // The twin is counted at this model's input size, so that MACs compare like with like.
    if (twin) entry.twin = { name: twin, ...measured(twin, input) };
    counts[info.name] = entry;
  });
  return counts;
}

/** The generated counts of `info`, unless the table lacks it or was made for another input or twin. */
function tabulated(info: ModelInfo): ModelCounts | undefined {
  return tabulatedCounts(MODEL_COUNTS, info, comparedTwin(info));
}

/** Options of {@link modelsCommand}. */
export interface ModelsOptions {
  /**
   * Called before each model that has to be built (they take a while on the cpu backend): only
   * those missing from the generated table, model-counts.ts, e.g. a newly registered family.
   */
  onProgress?: (name: string, index: number, total: number) => void;
}

/**
 * `se-zoo models [filter]`: every registered model matching `filter` (a substring or a glob such
 * as `seresnet*`, as `listModels` takes it) with its parameters, MACs at its default input size,
 * and the overhead of SE over its plain twin. The counts come from model-counts.ts, generated
 * at build time; a model it lacks is built and counted.
 */
export function modelsCommand(
  filter?: string,
  options: ModelsOptions = {},
): { rows: ModelRow[]; text: string } {
  const infos = listModels(filter);
  if (infos.length === 0) {
    const all = listModels().length;
    throw new CliError(noMatchMessage(filter, all));
  }
  const missing = infos.filter((info) => !tabulated(info));
  const built = missing.length > 0 ? countModels(missing, options.onProgress) : {};
  const rows = infos.map((info) =>
    modelRow(info, tabulated(info) ?? (built[info.name] as ModelCounts)),
  );
  return { rows, text: formatModelsTable(rows) };
}

function isRegistered(name: string): boolean {
  return listModels((info) => info.name === name).length > 0;
}
