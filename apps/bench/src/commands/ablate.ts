/** `se-zoo ablate`: one of the paper's ablation studies, its table and report. */
import { describeRecipe } from '@se/core';
import '../zoo.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data/sources.js';
import {
  type AblationSummary,
  ablationIdentity,
  ablationRuns,
  countVariants,
  resolveAblationPlan,
  summarizeAblation,
} from '../experiment/ablation.js';
import { limitDataset } from '../experiment/bench.js';
import { runExperiment } from '../experiment/runner.js';
import { getStudy } from '../experiment/studies.js';
import { writeJsonFile } from '../files.js';
import { ablationMarkdown, formatAblationTable, renderAblationReport } from '../report/ablation.js';
import { runInputShape } from '../train/trainer.js';
import {
  checkNumbers,
  type DataOptions,
  printLine,
  type RecipeOptions,
  type ResultsOptions,
} from './options.js';

/** Options of {@link ablateCommand}. */
export interface AblateCommandOptions extends DataOptions, RecipeOptions, ResultsOptions {
  /** The study's name (see `se-zoo ablate --list`). */
  study: string;
  /** Registered model to configure (default `seresnet20`). */
  model?: string;
  seeds?: number;
  epochs?: number;
  /** Resize the images to this square size. */
  imageSize?: number;
  /** `false` drops the biases of the excitation FC layers in every variant (paper §6). */
  bias?: boolean;
  log?: (line: string) => void;
}

/**
 * `se-zoo ablate --study <name>`: trains every buildable variant of the study for every seed
 * into the results directory (resuming what is there), then writes summary.json, table.md and
 * report.html and prints the table.
 */
export async function ablateCommand(
  options: AblateCommandOptions,
): Promise<{ summary: AblationSummary; dir: string; table: string }> {
  checkNumbers(options);
  const log = options.log ?? printLine;
  const plan = resolveAblationPlan(options);
  const study = getStudy(plan.study);
  const whole = await loadDataset(options.dataset ?? 'fashion-mnist', options.dataDir);
  const dataset = limitDataset(whole, plan);
  const dir = options.out ?? join('results', `ablate-${plan.study}-${whole.name}`);
  log(
    `Study ${study.name} (paper ${study.table}: ${study.title}) on ${plan.model}: ${plan.variants.map((v) => v.label).join(', ')}`,
  );
  log(
    `Dataset ${whole.name}: ${dataset.train.count} training and ${dataset.test.count} test images of ${runInputShape(plan, dataset).join('×')} (${whole.source})`,
  );
  const counts = countVariants(plan, dataset);
  for (const count of counts) {
    if ('error' in count)
      log(`Skipping ${count.key}, which ${plan.model} cannot take: ${count.error}`);
  }
  const buildable = new Set(counts.filter((c) => !('error' in c)).map((c) => c.key));
  const specs = ablationRuns(plan).filter((spec) => buildable.has(spec.variant ?? ''));
  log(
    `Backend ${tf.getBackend()}, float32; ${specs.length} runs, seeds ${plan.seeds.join(', ')}, ${plan.epochs} epochs; recipe ${plan.recipe.name}: ${describeRecipe(plan.recipe)}`,
  );
  const { results, failures } = await runExperiment({
    dir,
    planFile: 'ablation.json',
    identity: ablationIdentity(plan, dataset),
    ...(options.resume ? { resume: true } : {}),
    ...(options.overwrite ? { overwrite: true } : {}),
    specs,
    dataset,
    label: (spec) => spec.variant ?? '',
    log,
  });
  const summary = summarizeAblation(plan, dataset, counts, results, failures);
  await writeJsonFile(join(dir, 'summary.json'), summary);
  await writeFile(join(dir, 'table.md'), ablationMarkdown(summary));
  await writeFile(join(dir, 'report.html'), await renderAblationReport(summary));
  const table = formatAblationTable(summary);
  log(table);
  log(`Table: ${join(dir, 'table.md')}; report: ${join(dir, 'report.html')}`);
  return { summary, dir, table };
}
