import '../zoo.js';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createModel, fileSystem, getModelInfo, loadPyTorchWeights } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import { CliError } from '../commands.js';
import type { Dataset } from '../data/dataset.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { SgdMomentum } from '../train/sgd.js';
import {
  buildRunModel,
  evaluate,
  type RunResult,
  type RunSpec,
  runId,
  runInputShape,
  type StepProgress,
  trainRun,
} from '../train/trainer.js';
import {
  type BenchEvents,
  type BenchPlan,
  type BenchSummary,
  limitDataset,
  loadBenchResults,
  type ModelPair,
  planRuns,
  runBench,
  summarizeBench,
} from './bench.js';
import { loadDataset } from './data-source.js';
import { renderReport } from './report.js';

/**
 * The default comparison: sized to finish in a few minutes on a 2-core CPU without a GPU.
 * CIFAR-style ResNet-20 with and without SE on a Fashion-MNIST subset.
 */
export const QUICK_PLAN: BenchPlan = {
  pairs: [{ plain: 'resnet20', se: 'seresnet20' }],
  seeds: [1, 2],
  epochs: 3,
  batchSize: 64,
  learningRate: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  augment: { padCrop: 2, flip: true },
  trainLimit: 2048,
  testLimit: 1024,
};

/** The real protocol (`--full`): every training image, three seeds, deeper networks. */
export const FULL_PLAN: BenchPlan = {
  pairs: [
    { plain: 'resnet20', se: 'seresnet20' },
    { plain: 'resnet56', se: 'seresnet56' },
    { plain: 'resnet110', se: 'seresnet110' },
  ],
  seeds: [1, 2, 3],
  epochs: 30,
  batchSize: 128,
  learningRate: 0.1,
  momentum: 0.9,
  weightDecay: 5e-4,
  augment: { padCrop: 2, flip: true },
};

/** Command-line overrides of a plan. */
export interface PlanOverrides {
  full?: boolean;
  models?: string;
  seeds?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  trainLimit?: number;
  testLimit?: number;
}

/** The pair of a model name: `seresnet20` ↔ `resnet20` through the registry's twins. */
export function pairOf(name: string): ModelPair {
  const info = getModelInfo(name);
  if (!info.twin)
    throw new Error(`model '${name}' has no registered SE/plain twin to compare with`);
  return info.se ? { plain: info.twin, se: name } : { plain: name, se: info.twin };
}

/** Resolves the plan from the preset and the overrides. */
export function resolvePlan(options: PlanOverrides): BenchPlan {
  const base = options.full ? FULL_PLAN : QUICK_PLAN;
  const positive = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      throw new Error(`--${name} must be a positive integer, got ${v}`);
    return v;
  };
  const seeds = positive('seeds', options.seeds);
  const plan: BenchPlan = {
    ...base,
    pairs: options.models ? options.models.split(',').map((m) => pairOf(m.trim())) : base.pairs,
    seeds: seeds ? Array.from({ length: seeds }, (_, i) => i + 1) : base.seeds,
    epochs: positive('epochs', options.epochs) ?? base.epochs,
    batchSize: positive('batch', options.batch) ?? base.batchSize,
    learningRate: options.lr ?? base.learningRate,
  };
  const trainLimit = positive('train-limit', options.trainLimit) ?? base.trainLimit;
  const testLimit = positive('test-limit', options.testLimit) ?? base.testLimit;
  delete plan.trainLimit;
  delete plan.testLimit;
  return { ...plan, ...(trainLimit ? { trainLimit } : {}), ...(testLimit ? { testLimit } : {}) };
}

/**
 * Training speed of one model configuration in images per second: a warm-up step, then one timed
 * step of `batchSize` random images.
 */
export async function measureTrainingSpeed(
  spec: Pick<RunSpec, 'model' | 'se' | 'imageSize' | 'batchSize'>,
  dataset: Dataset,
): Promise<number> {
  const inputShape = runInputShape(spec, dataset);
  const model = buildRunModel(spec, dataset);
  const x = tf.randomNormal([spec.batchSize, ...inputShape]);
  const y = tf.oneHot(tf.zeros([spec.batchSize], 'int32'), dataset.classes);
  const step = async () => {
    const { value, grads } = tf.variableGrads(
      () =>
        tf.losses.softmaxCrossEntropy(
          y,
          model.apply(x, { training: true }) as tf.Tensor,
        ) as tf.Scalar,
    );
    await value.data();
    tf.dispose([value, grads]);
  };
  try {
    await step();
    const started = performance.now();
    await step();
    return spec.batchSize / ((performance.now() - started) / 1000);
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

/**
 * Estimates how long training `specs` on `dataset` (already cut to the plan's limits) takes, in
 * seconds: each distinct configuration (`label`) is timed once by {@link measureTrainingSpeed}.
 */
export async function estimateRunSeconds(
  specs: RunSpec[],
  dataset: Dataset,
  label: (spec: RunSpec) => string,
): Promise<{ seconds: number; imagesPerSecond: Map<string, number> }> {
  const speeds = new Map<string, number>();
  for (const spec of specs) {
    const key = label(spec);
    if (!speeds.has(key)) speeds.set(key, await measureTrainingSpeed(spec, dataset));
  }
  // Evaluation runs forward only, about a third of a training step per image.
  const seconds = specs.reduce(
    (sum, spec) =>
      sum +
      (spec.epochs * (dataset.train.count + dataset.test.count / 3)) /
        (speeds.get(label(spec)) ?? 1),
    0,
  );
  return { seconds, imagesPerSecond: speeds };
}

/**
 * Measures training speed of each model of the plan for two steps on random data and estimates
 * the plan's duration in seconds.
 */
export function estimateSeconds(
  plan: BenchPlan,
  dataset: Dataset,
): Promise<{ seconds: number; imagesPerSecond: Map<string, number> }> {
  return estimateRunSeconds(planRuns(plan), limitDataset(dataset, plan), (spec) => spec.model);
}

/** The estimate line that bench and ablate print before training. */
export function formatEstimate(
  estimate: { seconds: number; imagesPerSecond: Map<string, number> },
  dir: string,
): string {
  const speeds = [...estimate.imagesPerSecond].map(([m, s]) => `${m} ${s.toFixed(0)} img/s`);
  return `Estimated time: ${(estimate.seconds / 60).toFixed(1)} min (${speeds.join(', ')}). Results in ${dir}; rerun the same command to resume.`;
}

/** A progress bar per run on stderr (silent when stderr is not a terminal). */
export function progressBar(): { update: (id: string, p: StepProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY)
    return { update: (_id: string, _p: StepProgress) => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format:
        '{id} |{bar}| epoch {epoch}/{epochs} step {value}/{total} loss {loss} acc {acc} {ips} img/s ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let current = '';
  return {
    update(id: string, p: StepProgress) {
      const payload = {
        id,
        epoch: p.epoch,
        epochs: p.epochs,
        loss: p.loss.toFixed(3),
        acc: (100 * p.accuracy).toFixed(1),
        ips: p.imagesPerSecond.toFixed(0),
      };
      if (current !== `${id}/${p.epoch}`) {
        bar.stop();
        bar.start(p.steps, p.step, payload);
        current = `${id}/${p.epoch}`;
      } else {
        bar.update(p.step, payload);
      }
    },
    stop: () => bar.stop(),
  };
}

/** Progress of runs on the terminal: a bar per epoch, a line per finished epoch or failure. */
export function consoleEvents(log: (line: string) => void): {
  events: BenchEvents;
  stop: () => void;
} {
  const bar = progressBar();
  return {
    events: {
      onStep: (id, p) => bar.update(id, p),
      onEpoch: (id, m) => {
        bar.stop();
        log(
          `${id} epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)}, test accuracy ${(100 * m.testAccuracy).toFixed(2)} %, ${m.imagesPerSecond.toFixed(1)} img/s`,
        );
      },
      onRunFailed: (f) => {
        bar.stop();
        log(`FAILED ${f.id}: ${f.error}`);
      },
    },
    stop: () => bar.stop(),
  };
}

/** Options of {@link benchCommand}. */
export interface BenchCommandOptions extends PlanOverrides {
  dataset?: string;
  dataDir?: string;
  out?: string;
  /** Continue the benchmark in `out`; an error where there is none (a rerun continues anyway). */
  resume?: boolean;
  log?: (line: string) => void;
}

/** `se-zoo bench`: trains every pair with and without SE over the seeds and writes the report. */
export async function benchCommand(
  options: BenchCommandOptions = {},
): Promise<{ summary: BenchSummary; dir: string }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const plan = resolvePlan(options);
  const dataset = await loadDataset(options.dataset ?? 'fashion-mnist', options.dataDir);
  const dir = options.out ?? join('results', `bench-${dataset.name}${options.full ? '-full' : ''}`);
  const limited = limitDataset(dataset, plan);
  log(
    `Dataset ${dataset.name}: ${limited.train.count} training and ${limited.test.count} test images of ${limited.train.height}×${limited.train.width}×${limited.train.channels} (${dataset.source})`,
  );
  log(
    `Backend ${tf.getBackend()}, float32; ${planRuns(plan).length} runs: ${plan.pairs.map((p) => `${p.plain} vs ${p.se}`).join(', ')}, seeds ${plan.seeds.join(', ')}, ${plan.epochs} epochs, batch ${plan.batchSize}`,
  );
  log(formatEstimate(await estimateSeconds(plan, limited), dir));
  const { events, stop } = consoleEvents(log);
  const summary = await runBench(plan, dataset, dir, events, options.resume);
  stop();
  await writeFile(join(dir, 'report.html'), await renderReport(summary));
  log(formatSummaryLines(summary).join('\n'));
  log(`Report: ${join(dir, 'report.html')}`);
  return { summary, dir };
}

/** The comparison as text lines (for the terminal). */
export function formatSummaryLines(summary: BenchSummary): string[] {
  return summary.pairs.map((p) => {
    const d = p.difference;
    const ci =
      d.n < 2
        ? 'one seed, no interval'
        : `95 % CI [${(100 * d.low).toFixed(2)}, ${(100 * d.high).toFixed(2)}]`;
    return `${p.se} vs ${p.plain}: ${(100 * p.accuracy.se.mean).toFixed(2)} ± ${(100 * p.accuracy.se.std).toFixed(2)} % vs ${(100 * p.accuracy.plain.mean).toFixed(2)} ± ${(100 * p.accuracy.plain.std).toFixed(2)} %, SE − plain ${(100 * d.mean).toFixed(2)} pp (${ci}), SE time overhead ${p.seTimeOverheadPercent.toFixed(1)} %`;
  });
}

/** `se-zoo report <dir>`: re-renders summary.json and report.html from the finished runs. */
export async function reportCommand(dir: string, dataDir?: string): Promise<BenchSummary> {
  const { plan, runs } = await loadBenchResults(dir);
  const previous = JSON.parse(
    await readFile(join(dir, 'summary.json'), 'utf8').catch(() => 'null'),
  ) as BenchSummary | null;
  const datasetName = runs[0]?.dataset ?? previous?.dataset ?? 'fashion-mnist';
  const dataset = limitDataset(await loadDataset(datasetName, dataDir), plan);
  const summary = summarizeBench(plan, dataset, runs, previous?.failures ?? []);
  await writeFile(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(dir, 'report.html'), await renderReport(summary));
  return summary;
}

/** Options of {@link trainCommand}. */
export interface TrainCommandOptions {
  model: string;
  se?: boolean;
  seed?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  dataset?: string;
  dataDir?: string;
  trainLimit?: number;
  testLimit?: number;
  out?: string;
}

/** `se-zoo train`: one run of one model. */
export async function trainCommand(options: TrainCommandOptions): Promise<RunResult> {
  const info = getModelInfo(options.model);
  const spec: RunSpec = {
    model: options.model,
    se: options.se ?? info.se,
    seed: options.seed ?? 1,
    epochs: options.epochs ?? 10,
    batchSize: options.batch ?? 64,
    learningRate: options.lr ?? 0.1,
    momentum: 0.9,
    weightDecay: 5e-4,
    augment: { padCrop: 2, flip: true },
  };
  const dataset = limitDataset(
    await loadDataset(options.dataset ?? 'fashion-mnist', options.dataDir),
    options,
  );
  const bar = progressBar();
  const dir = options.out ?? join('results', 'train', runId(spec));
  const result = await trainRun(spec, dataset, dir, {
    onStep: (p) => bar.update(runId(spec), p),
    onEpoch: (m) => {
      bar.stop();
      console.log(
        `epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)}, test accuracy ${(100 * m.testAccuracy).toFixed(2)} %, ${m.imagesPerSecond.toFixed(1)} img/s`,
      );
    },
  });
  bar.stop();
  await writeFile(
    join(dir, 'spec.json'),
    `${JSON.stringify({ ...spec, dataset: dataset.name }, null, 2)}\n`,
  );
  return result;
}

/** A run directory re-opened: its spec, its dataset and its model with the checkpoint loaded. */
export interface OpenedRun {
  /** The run directory. */
  dir: string;
  spec: RunSpec;
  /** The run's dataset, whole (not cut to the run's limits). */
  dataset: Dataset;
  /** The model with the checkpoint's weights; the caller disposes it. */
  model: tf.LayersModel;
}

/**
 * Re-opens a run written by `se-zoo train`, `bench` or `ablate`: `path` is its directory or its
 * `checkpoint.safetensors`. The spec comes from spec.json (train) or final.json (bench, ablate).
 */
export async function openRun(path: string, dataDir?: string): Promise<OpenedRun> {
  const dir = path.endsWith('.safetensors') ? dirname(path) : path;
  const readJson = async (file: string) =>
    JSON.parse(await readFile(join(dir, file), 'utf8')) as unknown;
  let spec: RunSpec & { dataset?: string };
  if (existsSync(join(dir, 'spec.json'))) {
    spec = (await readJson('spec.json')) as RunSpec & { dataset?: string };
  } else if (existsSync(join(dir, 'final.json'))) {
    const final = (await readJson('final.json')) as RunResult;
    spec = { ...final.spec, dataset: final.dataset };
  } else {
    throw new CliError(`${dir} is not a finished run directory (no spec.json or final.json)`);
  }
  const { dataset: datasetName, ...runSpec } = spec;
  const dataset = await loadDataset(datasetName ?? 'fashion-mnist', dataDir);
  const model = buildRunModel(runSpec, dataset);
  const optimizer = new SgdMomentum({ learningRate: 0 });
  try {
    await loadCheckpoint(join(dir, 'checkpoint.safetensors'), model, optimizer);
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  return { dir, spec: runSpec, dataset, model };
}

/** `se-zoo eval <run-dir>`: test loss and accuracy of a run's last checkpoint. */
export async function evalCommand(
  dir: string,
  dataDir?: string,
): Promise<{ loss: number; accuracy: number }> {
  const { spec, dataset, model } = await openRun(dir, dataDir);
  try {
    return await evaluate(model, dataset.test, dataset, 256, spec.imageSize);
  } finally {
    model.dispose();
  }
}

/**
 * `se-zoo convert`: a timm safetensors checkpoint → a tfjs model directory that
 * `tf.loadLayersModel('file://…/model.json')` opens (classifier outputs logits, as timm's).
 */
export async function convertCommand(
  file: string,
  model: string,
  out: string,
  inputSize?: number,
): Promise<string> {
  const info = getModelInfo(model);
  const [h, w, c] = info.defaultInputShape;
  const built = createModel(model, {
    classifierActivation: 'linear',
    inputShape: inputSize ? [inputSize, inputSize, c] : [h, w, c],
  });
  loadPyTorchWeights(built, await readFile(file));
  await mkdir(out, { recursive: true });
  await built.save(fileSystem(out));
  built.dispose();
  return join(out, 'model.json');
}
