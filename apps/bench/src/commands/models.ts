/** `se-zoo models`: the registry with parameters, MACs and the cost of SE. */
import '../zoo.js';
import {
  createModel,
  formatCount,
  formatMacs,
  listModels,
  type ModelInfo,
  modelName,
  summarize,
} from '@se/core';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { MODEL_COUNTS, type ModelCounts } from './model-counts.js';
import { formatPretrainedTable } from './predict.js';

/** `[height, width, channels]`. */
export type Shape3 = [number, number, number];

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

/** Relative increase of `value` over `base`, in percent. */
export function overheadPercent(value: number, base: number): number {
  return base === 0 ? 0 : ((value - base) / base) * 100;
}

function formatPercent(percent: number): string {
  return `${percent >= 0 ? '+' : ''}${percent.toFixed(2)}%`;
}

export function formatShape(shape: readonly number[]): string {
  return shape.join('×');
}

/** One row of `se-zoo models`. */
export interface ModelRow {
  name: string;
  family: string;
  package: string;
  se: boolean;
  twin?: string;
  /** The model's `defaultInputShape`, at which `macs` is counted. */
  inputShape: Shape3;
  params: number;
  macs: number;
  /** For an SE model whose twin is registered: what SE adds over the twin, in percent. */
  overhead?: { params: number; macs: number };
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
  const entry = Object.hasOwn(MODEL_COUNTS, info.name) ? MODEL_COUNTS[info.name] : undefined;
  if (
    !entry ||
    formatShape(entry.input) !== formatShape(info.defaultInputShape) ||
    entry.twin?.name !== comparedTwin(info)
  ) {
    return undefined;
  }
  return entry;
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
    throw new CliError(
      all === 0
        ? 'No models are registered.'
        : `No registered model matches '${filter}' (${all} models are registered; ` +
            'run `se-zoo models` to list them).',
    );
  }
  const missing = infos.filter((info) => !tabulated(info));
  const built = missing.length > 0 ? countModels(missing, options.onProgress) : {};
  const rows = infos.map((info): ModelRow => {
    const counts = tabulated(info) ?? (built[info.name] as ModelCounts);
    const row: ModelRow = {
      name: info.name,
      family: info.family,
      package: info.package,
      se: info.se,
      inputShape: [...counts.input],
      params: counts.params,
      macs: counts.macs,
    };
    if (info.twin) row.twin = info.twin;
    if (counts.twin) {
      row.overhead = {
        params: overheadPercent(counts.params, counts.twin.params),
        macs: overheadPercent(counts.macs, counts.twin.macs),
      };
    }
    return row;
  });
  return { rows, text: formatModelsTable(rows) };
}

function isRegistered(name: string): boolean {
  return listModels((info) => info.name === name).length > 0;
}

/** The table `se-zoo models` prints. */
export function formatModelsTable(rows: readonly ModelRow[]): string {
  const table = new Table({
    head: ['Model', 'Family', 'SE', 'Input', 'Params', 'MACs', 'SE overhead (params / MACs)'],
    colAligns: ['left', 'left', 'left', 'left', 'right', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) {
    table.push([
      row.name,
      row.family,
      row.se ? 'yes' : 'no',
      formatShape(row.inputShape),
      formatCount(row.params),
      formatMacs(row.macs),
      row.overhead
        ? `${formatPercent(row.overhead.params)} / ${formatPercent(row.overhead.macs)} vs ${row.twin}`
        : '',
    ]);
  }
  return `${table.toString()}\n${rows.length} model${rows.length === 1 ? '' : 's'}`;
}

/** Adds `se-zoo models`. */
export function addModelsCommand(program: Command): void {
  program
    .command('models')
    .description(
      'list the registered models with their parameters, MACs at their default input size, ' +
        'and the overhead of SE over the plain twin',
    )
    .argument('[filter]', "substring or glob of the names, e.g. 'seresnet*'")
    .option(
      '--pretrained',
      "list timm's pretrained checkpoints (name.tag) instead, with their top-1",
    )
    .action((filter: string | undefined, options: { pretrained?: boolean }) => {
      if (options.pretrained) {
        console.log(formatPretrainedTable(filter));
        return;
      }
      const progress = process.stderr.isTTY
        ? (name: string, index: number, total: number) =>
            process.stderr.write(`\rbuilding ${name} (${index + 1}/${total})…\x1b[K`)
        : undefined;
      const { text } = modelsCommand(filter, progress ? { onProgress: progress } : {});
      if (progress) process.stderr.write('\r\x1b[K');
      console.log(text);
    });
}
