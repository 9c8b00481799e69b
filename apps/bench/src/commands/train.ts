/** `se-zoo train` and `se-zoo eval`: one run of one model, and its checkpoint's test accuracy. */
import '../zoo.js';
import { join } from 'node:path';
import { describeRecipe, getModelInfo, modelName } from '@se/core';
import { headOf } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { limitDataset, recipeSpec } from '../experiment/bench.js';
import { formatEpochLine, progressBar } from '../experiment/progress.js';
import { resolveRecipe } from '../experiment/recipes.js';
import { openRun } from '../train/open.js';
import { type RunResult, runId } from '../train/run.js';
import { evaluate, trainRun } from '../train/trainer.js';
import { TRAIN_DEFAULTS } from './defaults.js';
import { checkNumbers, type DataOptions, printLine, type RecipeOptions } from './options.js';

export { TRAIN_DEFAULTS };

/** Options of {@link trainCommand}. */
export interface TrainCommandOptions extends DataOptions, RecipeOptions {
  model: string;
  /** SE on or off; default: what the model name says (`resnet20` plain, `seresnet20` SE). */
  se?: boolean;
  seed?: number;
  epochs?: number;
  out?: string;
  overwrite?: boolean;
  log?: (line: string) => void;
}

/** `se-zoo train`: one run of one model; rerunning the same command resumes it. */
export async function trainCommand(options: TrainCommandOptions): Promise<RunResult> {
  checkNumbers(options);
  const log = options.log ?? printLine;
  const info = getModelInfo(modelName(options.model));
  const recipe = resolveRecipe(options.model, options);
  const spec = recipeSpec(recipe, {
    model: options.model,
    se: options.se ?? info.se,
    seed: options.seed ?? TRAIN_DEFAULTS.seed,
    epochs: options.epochs ?? TRAIN_DEFAULTS.epochs,
  });
  const dataset = limitDataset(
    await loadDataset(options.dataset ?? 'fashion-mnist', options.dataDir),
    options,
  );
  const id = runId(spec);
  const dir = options.out ?? join('results', 'train', id);
  log(
    `${id}: ${options.model} ${spec.se === false ? 'without' : 'with'} SE on ${dataset.train.count} ${dataset.name} images, ${spec.epochs} epochs, recipe ${recipe.name}: ${describeRecipe(recipe)}`,
  );
  const bar = progressBar();
  try {
    return await trainRun(spec, dataset, dir, {
      ...(options.overwrite ? { overwrite: true } : {}),
      onStep: (p) => bar.update(id, p),
      onEpoch: (m) => {
        bar.stop();
        log(formatEpochLine(m));
      },
      onNotice: (message) => {
        bar.stop();
        log(message);
      },
    });
  } finally {
    bar.stop();
  }
}

/**
 * `se-zoo eval <run-dir>`: test loss and accuracy of a run's last checkpoint, on the test images
 * the run was tested on (the first `--test-limit` of them), or on the first `testLimit`.
 */
export async function evalCommand(
  dir: string,
  dataDir?: string,
  testLimit?: number,
): Promise<{ loss: number; accuracy: number; images: number }> {
  checkNumbers({ testLimit });
  const { spec, data, dataset, model } = await openRun(dir, dataDir);
  try {
    const test = headOf(dataset.test, testLimit ?? data.testImages);
    return { ...(await evaluate(model, test, dataset, 256, spec.imageSize)), images: test.count };
  } finally {
    model.dispose();
  }
}
