/** `se-zoo bench` (and the main job): every model against its twin, then `se-zoo report`. */
import '../zoo.js';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countMacs, describeRecipe } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { CliError } from '../errors.js';
import {
  type BenchPlan,
  type BenchSummary,
  benchIdentity,
  estimateProtocolSeconds,
  limitDataset,
  PROTOCOLS,
  pairOf,
  planRuns,
  resolvePlan,
  summarizeBench,
} from '../experiment/bench.js';
import { runExperiment } from '../experiment/runner.js';
import { readJsonFile, writeJsonFile } from '../files.js';
import {
  type FullProtocolEstimate,
  formatSummaryLines,
  interpretation,
  renderReport,
} from '../report/bench.js';
import { type DataIdentity, type RunResult, runId } from '../train/run.js';
import { buildRunModel, RUN_FILES, runInputShape } from '../train/trainer.js';
import {
  checkNumbers,
  type DataOptions,
  printLine,
  type RecipeOptions,
  type ResultsOptions,
} from './options.js';

/** Options of {@link benchCommand}. */
export interface BenchCommandOptions extends DataOptions, RecipeOptions, ResultsOptions {
  /** The real protocol (see {@link PROTOCOLS}). */
  full?: boolean;
  /** Comma-separated models, each compared with its twin. */
  models?: string;
  seeds?: number;
  epochs?: number;
  log?: (line: string) => void;
}

/** What a benchmark left: its summary, where, and whether every run finished. */
export interface BenchOutcome {
  summary: BenchSummary;
  dir: string;
}

const FULL_DESCRIPTION = `${PROTOCOLS.full.seeds} seeds, every image, ${PROTOCOLS.full.epochs} epochs, ${PROTOCOLS.full.models.join(', ')} and their SE twins`;

/** The --full protocol's duration on this backend, scaled from the first measured pair. */
function fullProtocolEstimate(
  summary: BenchSummary,
  dataset: Dataset,
): FullProtocolEstimate | undefined {
  const pair = summary.pairs[0];
  if (!pair || !Number.isFinite(pair.imagesPerSecond.plain)) return undefined;
  const macsOf = (model: string) => {
    const built = buildRunModel({ model, se: model === pairOf(model).se }, dataset);
    try {
      return countMacs(built, runInputShape({}, dataset));
    } finally {
      built.dispose();
    }
  };
  const reference = { macs: pair.macs.plain, imagesPerSecond: pair.imagesPerSecond.plain };
  return {
    seconds: estimateProtocolSeconds(PROTOCOLS.full, dataset, reference, macsOf),
    description: FULL_DESCRIPTION,
  };
}

/** Writes summary.json and report.html and prints the comparison. */
async function finish(
  dir: string,
  summary: BenchSummary,
  full: FullProtocolEstimate | undefined,
  log: (line: string) => void,
): Promise<void> {
  await writeJsonFile(join(dir, 'summary.json'), summary);
  await writeFile(join(dir, 'report.html'), await renderReport(summary, full));
  log(formatSummaryLines(summary).join('\n'));
  log(interpretation(summary, full).join('\n'));
  log(`Report: ${join(dir, 'report.html')}`);
}

/** `se-zoo bench`: trains every pair with and without SE over the seeds and writes the report. */
export async function benchCommand(options: BenchCommandOptions = {}): Promise<BenchOutcome> {
  checkNumbers(options);
  const log = options.log ?? printLine;
  const models = options.models
    ?.split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (models !== undefined && models.length === 0)
    throw new CliError('--models: give at least one model name');
  const { models: _list, ...rest } = options;
  const plan = resolvePlan({ ...rest, ...(models ? { models } : {}) });
  const whole = await loadDataset(options.dataset ?? 'fashion-mnist', options.dataDir);
  const dataset = limitDataset(whole, plan);
  const dir = options.out ?? join('results', `bench-${whole.name}${options.full ? '-full' : ''}`);
  log(
    `Dataset ${whole.name}: ${dataset.train.count} training and ${dataset.test.count} test images of ${dataset.train.height}×${dataset.train.width}×${dataset.train.channels} (${whole.source})`,
  );
  log(
    `Backend ${tf.getBackend()}, float32; ${planRuns(plan).length} runs: ${plan.pairs.map((p) => `${p.plain} vs ${p.se}`).join(', ')}, seeds ${plan.seeds.join(', ')}, ${plan.epochs} epochs`,
  );
  for (const pair of plan.pairs) {
    log(
      `Recipe of ${pair.plain} / ${pair.se}: ${pair.recipe.name}: ${describeRecipe(pair.recipe)}`,
    );
  }
  const { results, failures } = await runExperiment({
    dir,
    planFile: 'bench.json',
    identity: benchIdentity(plan, dataset),
    ...(options.resume ? { resume: true } : {}),
    ...(options.overwrite ? { overwrite: true } : {}),
    specs: planRuns(plan),
    dataset,
    label: (spec) => spec.model,
    log,
  });
  const summary = summarizeBench(plan, dataset, results, failures);
  await finish(dir, summary, options.full ? undefined : fullProtocolEstimate(summary, whole), log);
  return { summary, dir };
}

/** `se-zoo report <dir>`: re-renders summary.json and report.html from the finished runs. */
export async function reportCommand(
  dir: string,
  options: { dataDir?: string; log?: (line: string) => void } = {},
): Promise<BenchSummary> {
  const planPath = join(dir, 'bench.json');
  if (!existsSync(planPath))
    throw new CliError(`${dir} is not a benchmark directory (no bench.json)`);
  const { plan, data } = await readJsonFile<{ plan: BenchPlan; data: DataIdentity }>(
    planPath,
    'it records the plan of this directory: rerun the bench command that made it to rewrite it',
  );
  const runs: RunResult[] = [];
  for (const spec of planRuns(plan)) {
    const final = join(dir, 'runs', runId(spec), RUN_FILES.final);
    if (existsSync(final)) {
      runs.push(
        await readJsonFile<RunResult>(
          final,
          'rerun the bench command that made this directory: it writes it again',
        ),
      );
    }
  }
  const previous = existsSync(join(dir, 'summary.json'))
    ? await readJsonFile<BenchSummary>(
        join(dir, 'summary.json'),
        'rerun the bench command that made this directory',
      ).catch(() => null)
    : null;
  const dataset = limitDataset(await loadDataset(data.name, options.dataDir), plan);
  const summary = summarizeBench(plan, dataset, runs, previous?.failures ?? []);
  await writeJsonFile(join(dir, 'summary.json'), summary);
  await writeFile(join(dir, 'report.html'), await renderReport(summary));
  options.log?.(formatSummaryLines(summary).join('\n'));
  return summary;
}

/** Exits non-zero (after everything was reported) when any run failed. */
export function failedRunsError(
  failures: readonly { id: string }[],
  total: number,
): CliError | null {
  if (failures.length === 0) return null;
  return new CliError(
    `${failures.length} of ${total} runs failed (${failures.map((f) => f.id).join(', ')}); the others finished and are reported`,
  );
}

/** The bench command as the CLI runs it: non-zero exit when a run failed. */
export async function runBenchAction(options: BenchCommandOptions = {}): Promise<void> {
  const { summary } = await benchCommand(options);
  const error = failedRunsError(summary.failures, planRuns(summary.plan).length);
  if (error) throw error;
}
