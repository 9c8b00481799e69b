/** `se-zoo train` and `se-zoo eval`: one run of one model, and its checkpoint's test accuracy. */
import '../zoo.js';
import { join } from 'node:path';
import { describeRecipe, getModelInfo, modelName } from '@se/core';
import type { Command } from 'commander';
import { headOf } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { limitDataset, recipeSpec } from '../experiment/bench.js';
import { formatEpochLine, progressBar } from '../experiment/progress.js';
import { resolveRecipe } from '../experiment/recipes.js';
import { openRun } from '../train/open.js';
import { type RunResult, runId } from '../train/run.js';
import { evaluate, trainRun } from '../train/trainer.js';
import {
  addDataOptions,
  addRecipeOptions,
  checkNumbers,
  type DataOptions,
  numberOption,
  printLine,
  type RecipeOptions,
} from './options.js';

/** Defaults of `se-zoo train`. */
export const TRAIN_DEFAULTS = { seed: 1, epochs: 10 } as const;

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

/** Adds `se-zoo train` and `se-zoo eval`. */
export function addTrainCommands(program: Command): void {
  const train = program
    .command('train')
    .description('train one model; rerunning the same command resumes it')
    .requiredOption('--model <name>', 'registered model, e.g. seresnet20 (SE) or resnet20 (plain)')
    .option('--se', 'train with SE blocks even if the model is a plain one')
    .option('--no-se', 'train without SE blocks even if the model is an SE one')
    .addOption(numberOption('seed', `seed (default ${TRAIN_DEFAULTS.seed})`))
    .addOption(numberOption('epochs', `epochs (default ${TRAIN_DEFAULTS.epochs})`));
  addRecipeOptions(train);
  addDataOptions(train, { train: 'all', test: 'all' });
  train
    .option('--out <dir>', 'run directory (default results/train/<run>)')
    .option('--overwrite', 'delete the run --out holds (another run) and start again')
    .action(async (options: TrainCommandOptions) => {
      const result = await trainCommand(options);
      console.log(`${result.id}: test accuracy ${(100 * result.testAccuracy).toFixed(2)} %`);
    });

  program
    .command('eval')
    .description("test loss and accuracy of a run directory's checkpoint")
    .argument('<run-dir>', 'a directory written by `se-zoo train`, `bench` or `ablate`')
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .addOption(
      numberOption(
        'testLimit',
        'evaluate on the first n test images (default: those the run was tested on)',
      ),
    )
    .action(async (dir: string, options: { dataDir?: string; testLimit?: number }) => {
      const { loss, accuracy, images } = await evalCommand(dir, options.dataDir, options.testLimit);
      console.log(
        `test loss ${loss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)} % on ${images} test images`,
      );
    });
}
