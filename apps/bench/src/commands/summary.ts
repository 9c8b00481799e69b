/** `se-zoo summary <model>`: one model's layers with their shapes, parameters and MACs. */
import '../zoo.js';
import {
  createModel,
  formatSummary,
  getModelInfo,
  type ModelCount,
  type ModelInfo,
  modelName,
  summarize,
} from '@se/core';
import { CliError } from '../errors.js';
import { formatShape, type Shape3 } from './models-table.js';

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
    info = getModelInfo(modelName(name));
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
  const inputShape =
    typeof options.input === 'string'
      ? parseInputShape(options.input)
      : (options.input ?? ([...info.defaultInputShape] as Shape3));
  const model = createModel(modelName(name), { inputShape });
  try {
    const count = summarize(model);
    const title = `${name} (${info.package}) at ${formatShape(inputShape)}: ${info.description}`;
    return { info, count, text: formatSummary(count, { title, all: options.all ?? false }) };
  } finally {
    model.dispose();
  }
}
