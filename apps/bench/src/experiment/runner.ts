/**
 * The pipeline `bench` and `ablate` share: claim the results directory, estimate the time, train
 * every run (finished ones are kept, interrupted ones resumed, failed ones recorded), then hand
 * the results to the command's summary and report.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.js';
import { createOptimizer } from '../train/optimizers.js';
import { NonFiniteLossError, type RunResult, type RunSpec, runId } from '../train/run.js';
import {
  buildRunModel,
  createTrainingStep,
  RUN_FILES,
  runInputShape,
  trainRun,
} from '../train/trainer.js';
import { consoleEvents, formatDuration, type RunEvents } from './progress.js';
import { claimResultsDirectory, type DirectoryClaim } from './run-directory.js';

/** A run that did not finish (its loss became NaN or infinite); the others went on. */
export interface FailedRun {
  id: string;
  error: string;
}

/** Where and on what an experiment ran: the first lines of every summary and report. */
export interface ExperimentSetup {
  dataset: string;
  datasetSource: string;
  trainImages: number;
  testImages: number;
  /** The models' input, `[height, width, channels]`. */
  inputShape: number[];
  backend: string;
  /** The device the backend ran on, in words. */
  device: string;
  dtype: 'float32';
  /** Every finished run. */
  runs: RunResult[];
  failures: FailedRun[];
  createdAt: string;
}

/** The setup of an experiment from its dataset (cut to its limits) and its runs. */
export function experimentSetup(
  dataset: Dataset,
  inputShape: number[],
  runs: RunResult[],
  failures: FailedRun[],
): ExperimentSetup {
  return {
    dataset: dataset.name,
    datasetSource: dataset.source,
    trainImages: dataset.train.count,
    testImages: dataset.test.count,
    inputShape,
    backend: runs[0]?.backend ?? tf.getBackend(),
    device: runs[0]?.device ?? 'unknown',
    dtype: 'float32',
    runs,
    failures,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Trains `specs` in order into `dir/runs/<id>/` (see trainRun): finished runs are kept and
 * interrupted ones resumed; a run whose loss becomes NaN is recorded as failed and the others
 * go on.
 */
export async function trainSpecs(
  specs: RunSpec[],
  dataset: Dataset,
  dir: string,
  events: RunEvents = {},
): Promise<{ results: RunResult[]; failures: FailedRun[] }> {
  const results: RunResult[] = [];
  const failures: FailedRun[] = [];
  for (const [index, spec] of specs.entries()) {
    const id = runId(spec);
    events.onRunStart?.(id, index, specs.length);
    try {
      results.push(
        await trainRun(spec, dataset, join(dir, 'runs', id), {
          onStep: (p) => events.onStep?.(id, p),
          onEpoch: (m) => events.onEpoch?.(id, m),
          onNotice: (message) => events.onNotice?.(id, message),
        }),
      );
    } catch (error) {
      if (!(error instanceof NonFiniteLossError)) throw error;
      const failure = { id, error: error.message };
      failures.push(failure);
      events.onRunFailed?.(failure);
    }
  }
  return { results, failures };
}

/**
 * Training speed of one run's configuration in images per second: the trainer's own step
 * (forward, backward and the recipe's optimizer update) on random images, one warm-up step,
 * then the mean of three timed steps.
 */
export async function measureTrainingSpeed(spec: RunSpec, dataset: Dataset): Promise<number> {
  const inputShape = runInputShape(spec, dataset);
  const model = buildRunModel(spec, dataset);
  const optimizer = createOptimizer(spec.optimizer, {
    learningRate: 0,
    weightDecay: spec.weightDecay,
  });
  const step = createTrainingStep(model, optimizer);
  const x = tf.randomNormal([spec.batchSize, ...inputShape]) as tf.Tensor4D;
  const y = tf.oneHot(tf.zeros([spec.batchSize], 'int32'), dataset.classes) as tf.Tensor2D;
  const run = async () => {
    const { loss, hits } = step({ x, y });
    await loss.data();
    tf.dispose([loss, hits]);
  };
  try {
    await run();
    const timed = 3;
    const started = performance.now();
    for (let i = 0; i < timed; i++) await run();
    return (timed * spec.batchSize) / ((performance.now() - started) / 1000);
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
}

/** What an estimate found: seconds left and the speed of each configuration. */
export interface Estimate {
  seconds: number;
  imagesPerSecond: Map<string, number>;
}

async function epochsDone(dir: string, spec: RunSpec): Promise<number> {
  const runDir = join(dir, 'runs', runId(spec));
  if (existsSync(join(runDir, RUN_FILES.final))) return spec.epochs;
  const metrics = join(runDir, RUN_FILES.metrics);
  if (!existsSync(metrics)) return 0;
  return (await readFile(metrics, 'utf8')).split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * How long the epochs of `specs` not yet trained in `dir` take on `dataset`, in seconds: each
 * distinct configuration (`label`) is timed once by {@link measureTrainingSpeed}; a test pass
 * (forward only) counts as a third of a training step per image.
 */
export async function estimateRunSeconds(
  specs: RunSpec[],
  dataset: Dataset,
  label: (spec: RunSpec) => string,
  dir?: string,
): Promise<Estimate> {
  const speeds = new Map<string, number>();
  let seconds = 0;
  for (const spec of specs) {
    const left = spec.epochs - (dir ? await epochsDone(dir, spec) : 0);
    if (left <= 0) continue;
    const key = label(spec);
    let speed = speeds.get(key);
    if (speed === undefined) {
      speed = await measureTrainingSpeed(spec, dataset);
      speeds.set(key, speed);
    }
    seconds += (left * (dataset.train.count + dataset.test.count / 3)) / speed;
  }
  return { seconds, imagesPerSecond: speeds };
}

/** The estimate line printed before training. */
export function formatEstimate(estimate: Estimate, dir: string): string {
  const speeds = [...estimate.imagesPerSecond].map(([m, s]) => `${m} ${s.toFixed(0)} img/s`);
  if (speeds.length === 0) return `Every run in ${dir} is finished; summarising.`;
  return `Estimated time: ${formatDuration(estimate.seconds)} (${speeds.join(', ')}). Results in ${dir}; rerun the same command to resume.`;
}

/** An experiment: runs to train into a results directory. */
export interface Experiment extends DirectoryClaim {
  specs: RunSpec[];
  /** The dataset, cut to the plan's limits. */
  dataset: Dataset;
  /** The configuration a run's speed is measured for (runs of one label train alike). */
  label: (spec: RunSpec) => string;
  log: (line: string) => void;
}

/** Claims the directory, prints the estimate, trains every run. */
export async function runExperiment(
  experiment: Experiment,
): Promise<{ results: RunResult[]; failures: FailedRun[]; estimate: Estimate }> {
  const { dir, specs, dataset, log } = experiment;
  await claimResultsDirectory(experiment);
  const estimate = await estimateRunSeconds(specs, dataset, experiment.label, dir);
  log(formatEstimate(estimate, dir));
  const { events, stop } = consoleEvents(log);
  try {
    return { ...(await trainSpecs(specs, dataset, dir, events)), estimate };
  } finally {
    stop();
  }
}
