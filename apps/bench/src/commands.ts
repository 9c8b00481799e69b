/**
 * The commands of the `se-zoo` CLI as functions that return what they print, so that tests run
 * them in-process. `cli.ts` only parses arguments and prints.
 */
import './zoo.js';
import {
  createModel,
  formatCount,
  formatMacs,
  formatSummary,
  getModelInfo,
  listModels,
  type ModelCount,
  type ModelInfo,
  summarize,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';
import Table from 'cli-table3';

/** `[height, width, channels]`. */
export type Shape3 = [number, number, number];

/** An error the CLI prints as a message alone (no stack trace) before exiting with code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Parameters and MACs of one model at one input size. */
export interface Measurement {
  params: number;
  macs: number;
}

/** Builds `name` at `inputShape` (random initialisation), counts it and frees its weights. */
export function measure(name: string, inputShape: Shape3): Measurement {
  const model = createModel(name, { inputShape });
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

function formatShape(shape: readonly number[]): string {
  return shape.join('×');
}

/** Parses `224,224,3` (or `224x224x3`) into `[224, 224, 3]`. */
export function parseInputShape(text: string): Shape3 {
  const parts = text.split(/[,x×]/).map((part) => part.trim());
  const sizes = parts.map(Number);
  if (sizes.length !== 3 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new CliError(
      `--input expects height,width,channels as three positive integers (e.g. 224,224,3); ` +
        `got '${text}'`,
    );
  }
  return sizes as Shape3;
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

/** Options of {@link modelsCommand}. */
export interface ModelsOptions {
  /** Called before each model is built (they take a while on the cpu backend). */
  onProgress?: (name: string, index: number, total: number) => void;
}

/**
 * `se-zoo models [filter]`: every registered model matching `filter` (a substring or a glob such
 * as `seresnet*`, as `listModels` takes it) with its parameters, MACs at its default input size,
 * and the overhead of SE over its plain twin.
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
  const rows = infos.map((info, index): ModelRow => {
    options.onProgress?.(info.name, index, infos.length);
    const inputShape = [...info.defaultInputShape] as Shape3;
    const own = measured(info.name, inputShape);
    const row: ModelRow = {
      name: info.name,
      family: info.family,
      package: info.package,
      se: info.se,
      inputShape,
      params: own.params,
      macs: own.macs,
    };
    if (info.twin) row.twin = info.twin;
    if (info.se && info.twin && isRegistered(info.twin)) {
      // The twin is counted at this model's input size, so that MACs compare like with like.
      const base = measured(info.twin, inputShape);
      row.overhead = {
        params: overheadPercent(own.params, base.params),
        macs: overheadPercent(own.macs, base.macs),
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

/** Options of {@link summaryCommand}. */
export interface SummaryOptions {
  /** `[height, width, channels]` or its text form `224,224,3`; default: the model's own. */
  input?: Shape3 | string;
  /** List every layer, not only those with parameters or MACs. */
  all?: boolean;
}

/**
 * `se-zoo summary <model>`: the per-layer table of a registered model. An unknown name throws the
 * registry's error, which lists the closest registered names.
 */
export function summaryCommand(
  name: string,
  options: SummaryOptions = {},
): { info: ModelInfo; count: ModelCount; text: string } {
  let info: ModelInfo;
  try {
    info = getModelInfo(name);
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
  const inputShape =
    typeof options.input === 'string'
      ? parseInputShape(options.input)
      : (options.input ?? ([...info.defaultInputShape] as Shape3));
  const model = createModel(name, { inputShape });
  try {
    const count = summarize(model);
    const title = `${name} (${info.package}) at ${formatShape(inputShape)}: ${info.description}`;
    return { info, count, text: formatSummary(count, { title, all: options.all ?? false }) };
  } finally {
    model.dispose();
  }
}

/** What the main job measured. */
export interface MainJobResult {
  backend: string;
  se: Measurement;
  plain: Measurement;
  overhead: { params: number; macs: number };
  text: string;
}

/**
 * The main job (`se-zoo` with no command). Until the benchmark lands it is a demonstration:
 * SE-ResNet-50 against ResNet-50 at 224×224×3, and the layer summary of a small SE-ResNet-18.
 */
export function mainJob(): MainJobResult {
  const shape: Shape3 = [224, 224, 3];
  const backend = tf.getBackend();
  const se = measure('seresnet50', shape);
  const plain = measure('resnet50', shape);
  const overhead = {
    params: overheadPercent(se.params, plain.params),
    macs: overheadPercent(se.macs, plain.macs),
  };
  const table = new Table({
    head: ['Model', 'Params', `MACs at ${formatShape(shape)}`],
    colAligns: ['left', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  table.push(['resnet50', formatCount(plain.params), formatMacs(plain.macs)]);
  table.push(['seresnet50', formatCount(se.params), formatMacs(se.macs)]);
  const small = summaryCommand('seresnet18', { input: [32, 32, 3] });
  const text = [
    'SE Zoo: Squeeze-and-Excitation networks for TensorFlow.js',
    `tfjs ${tf.version.tfjs}, backend: ${backend}`,
    '',
    table.toString(),
    `SE overhead of seresnet50 over resnet50: ${formatPercent(overhead.params)} parameters, ` +
      `${formatPercent(overhead.macs)} MACs`,
    '',
    small.text,
  ].join('\n');
  return { backend, se, plain, overhead, text };
}
