import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeBackend } from '@se/backends';
import { countMacs, countParams, createModel, learningRateAt, modelName } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { listDifferences } from '../compare.js';
import { type Batch, batchCount, batches } from '../data/batches.js';
import { checkNotEmpty, type Dataset, type ImageSet } from '../data/dataset.js';
import { withSeededRandom } from '../data/random.js';
import {
  DamagedFileError,
  lockDirectory,
  readJsonFile,
  removeStaleTemporaries,
  writeJsonFile,
} from '../files.js';
import {
  applyCheckpoint,
  type CheckpointState,
  previousCheckpointPath,
  readCheckpoint,
  saveCheckpoint,
} from './checkpoint.js';
import { createOptimizer, type TrainingOptimizer } from './optimizers.js';
import {
  dataIdentity,
  type EpochMetrics,
  NonFiniteLossError,
  type RunIdentity,
  type RunResult,
  type RunSpec,
  runId,
} from './run.js';

/** The files of a run directory. */
export const RUN_FILES = {
  identity: 'run.json',
  checkpoint: 'checkpoint.safetensors',
  metrics: 'metrics.jsonl',
  final: 'final.json',
} as const;

/** A directory that holds another run than the one asked for. */
export class RunMismatchError extends Error {
  override name = 'RunMismatchError';
  constructor(
    readonly dir: string,
    readonly differences: string[],
  ) {
    super(
      `${dir} holds a different run (saved → asked):\n  ${differences.join('\n  ')}\n` +
        'Use another --out directory, or --overwrite to delete that run and start again.',
    );
  }
}

/** Progress of a run, for progress bars. */
export interface StepProgress {
  epoch: number;
  epochs: number;
  /** Steps done in this epoch. */
  step: number;
  steps: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  /** Seconds since the epoch started. */
  seconds: number;
}

/** Options of {@link trainRun}. */
export interface TrainOptions {
  /** Delete whatever run the directory holds and start again. */
  overwrite?: boolean;
  onStep?: (progress: StepProgress) => void;
  /** After each epoch, once its checkpoint is written. */
  onEpoch?: (metrics: EpochMetrics) => void;
  /** Something the user should know that is not an error (a damaged checkpoint redone, …). */
  onNotice?: (message: string) => void;
}

/** The `[height, width, channels]` a run's model takes: the dataset's, or `imageSize` square. */
export function runInputShape(
  spec: Pick<RunSpec, 'imageSize'>,
  dataset: Pick<Dataset, 'train'>,
): [number, number, number] {
  const { height, width, channels } = dataset.train;
  return spec.imageSize ? [spec.imageSize, spec.imageSize, channels] : [height, width, channels];
}

/**
 * Builds a run's model (random initialisation, logits out) for `dataset`; a model that cannot
 * take the dataset's images says so, naming both.
 */
export function buildRunModel(
  spec: Pick<RunSpec, 'model' | 'se' | 'imageSize'>,
  dataset: Pick<Dataset, 'name' | 'classes' | 'train'>,
): tf.LayersModel {
  const inputShape = runInputShape(spec, dataset);
  try {
    return createModel(modelName(spec.model), {
      inputShape,
      classes: dataset.classes,
      classifierActivation: 'linear',
      se: spec.se,
    });
  } catch (error) {
    throw new Error(
      `${spec.model} cannot take the ${inputShape.join('×')} images of ${dataset.name}${spec.imageSize ? ' (--image-size)' : ''}: ${(error as Error).message}`,
    );
  }
}

/**
 * One training step of `model` (forward, backward, update) as the trainer runs it: returns the
 * batch's mean loss and its number of correct predictions, not yet read back.
 */
export function createTrainingStep(
  model: tf.LayersModel,
  optimizer: TrainingOptimizer,
): (batch: Pick<Batch, 'x' | 'y'>) => { loss: tf.Scalar; hits: tf.Scalar } {
  const weights = model.trainableWeights;
  const variables = weights.map((w) => w.read() as tf.Variable);
  return (batch) => {
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(batch.x, { training: true }) as tf.Tensor2D;
      // Train accuracy from the same logits; not connected to the loss, so never differentiated.
      hits = tf.keep(
        tf.sum<tf.Scalar>(
          tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(batch.y, 1)), 'float32'),
        ),
      );
      return tf.losses.softmaxCrossEntropy(batch.y, logits) as tf.Scalar;
    }, variables);
    optimizer.step(weights, grads);
    tf.dispose(grads);
    return { loss: value as tf.Scalar, hits: hits as tf.Scalar };
  };
}

/**
 * Mean loss and accuracy of `model` on `set`; `imageSize` resizes the batches as the run that
 * trained the model did.
 */
export async function evaluate(
  model: tf.LayersModel,
  set: ImageSet,
  dataset: Pick<Dataset, 'classes' | 'mean' | 'std'>,
  batchSize = 256,
  imageSize?: number,
): Promise<{ loss: number; accuracy: number }> {
  let loss = 0;
  let correct = 0;
  for (const batch of batches(set, dataset, { batchSize, ...(imageSize ? { imageSize } : {}) })) {
    const sums = tf.tidy(() => {
      const logits = model.apply(batch.x, { training: false }) as tf.Tensor2D;
      const l = tf.losses.softmaxCrossEntropy(
        batch.y,
        logits,
        undefined,
        undefined,
        tf.Reduction.SUM,
      );
      const c = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(batch.y, 1)), 'float32'));
      return tf.stack([l, c]);
    });
    // One asynchronous read per batch (WebGPU in Node cannot read synchronously).
    const [batchLoss = Number.NaN, batchCorrect = 0] = await sums.data();
    sums.dispose();
    loss += batchLoss;
    correct += batchCorrect;
    batch.x.dispose();
    batch.y.dispose();
  }
  return { loss: loss / set.count, accuracy: correct / set.count };
}

const RERUN = 'rerun the same command to redo it (finished epochs are kept)';

/**
 * Claims `dir` for the run `identity`: writes run.json the first time and refuses a directory
 * that holds another run, listing the differences.
 */
async function claimRunDirectory(dir: string, identity: RunIdentity): Promise<void> {
  const path = join(dir, RUN_FILES.identity);
  if (existsSync(path)) {
    const saved = await readJsonFile<RunIdentity>(
      path,
      'it records which run this directory holds: use --overwrite to start the run again there, or another --out',
    );
    const differences = listDifferences(saved, identity);
    if (differences.length > 0) throw new RunMismatchError(dir, differences);
    return;
  }
  const leftovers = [RUN_FILES.checkpoint, RUN_FILES.final].filter((f) => existsSync(join(dir, f)));
  if (leftovers.length > 0) {
    throw new RunMismatchError(dir, [
      `${leftovers.join(' and ')} without ${RUN_FILES.identity}: a run of an older se-zoo, or not a run directory`,
    ]);
  }
  await writeJsonFile(path, identity);
}

/** Deletes what a run directory holds (only the files a run writes). */
export async function clearRunDirectory(dir: string): Promise<void> {
  const checkpoint = join(dir, RUN_FILES.checkpoint);
  for (const file of [
    ...Object.values(RUN_FILES).map((f) => join(dir, f)),
    previousCheckpointPath(checkpoint),
  ]) {
    await rm(file, { force: true });
  }
}

/**
 * The checkpoint to resume from: the latest, else (damaged or missing) the one before it; null
 * to start from scratch. What was damaged is reported through `notice`.
 */
async function resumePoint(
  dir: string,
  notice: (message: string) => void,
): Promise<Awaited<ReturnType<typeof readCheckpoint<EpochMetrics>>> | null> {
  const latest = join(dir, RUN_FILES.checkpoint);
  const candidates = [latest, previousCheckpointPath(latest)].filter((p) => existsSync(p));
  for (const path of candidates) {
    try {
      return await readCheckpoint<EpochMetrics>(path, RERUN);
    } catch (error) {
      if (!(error instanceof DamagedFileError)) throw error;
      notice(`${error.message.split(';')[0]}: resuming from the checkpoint before it`);
    }
  }
  if (candidates.length > 0) notice(`${dir}: no intact checkpoint left, starting the run again`);
  return null;
}

/**
 * Trains one run into `dir`: run.json (what the directory holds), metrics.jsonl (one line per
 * epoch), checkpoint.safetensors after every epoch (atomic, checksummed, the one before kept),
 * final.json at the end. A rerun continues where the last one stopped, from the last intact
 * checkpoint, and a finished run returns its final.json untouched; a directory that holds another
 * run is refused (see {@link RunMismatchError}).
 */
export async function trainRun(
  spec: RunSpec,
  dataset: Dataset,
  dir: string,
  options: TrainOptions = {},
): Promise<RunResult> {
  checkNotEmpty(dataset);
  await mkdir(dir, { recursive: true });
  const unlock = await lockDirectory(dir);
  try {
    return await trainLocked(spec, dataset, dir, options);
  } finally {
    await unlock();
  }
}

async function trainLocked(
  spec: RunSpec,
  dataset: Dataset,
  dir: string,
  options: TrainOptions,
): Promise<RunResult> {
  const notice = options.onNotice ?? (() => {});
  if (options.overwrite) await clearRunDirectory(dir);
  await removeStaleTemporaries(dir);
  const identity: RunIdentity = { spec, data: dataIdentity(dataset), dtype: 'float32' };
  await claimRunDirectory(dir, identity);
  const finalPath = join(dir, RUN_FILES.final);
  const resumeFrom = await resumePoint(dir, notice);
  if (existsSync(finalPath) && resumeFrom?.state.epoch === spec.epochs) {
    try {
      return await readJsonFile<RunResult>(finalPath, RERUN);
    } catch (error) {
      if (!(error instanceof DamagedFileError)) throw error;
      notice(`${error.message.split(';')[0]}: writing it again from the last checkpoint`);
    }
  }
  const model = await withSeededRandom(spec.seed, () => buildRunModel(spec, dataset));
  const optimizer = createOptimizer(spec.optimizer, {
    learningRate: spec.learningRate,
    weightDecay: spec.weightDecay,
  });
  try {
    let history: EpochMetrics[] = [];
    if (resumeFrom) history = applyCheckpoint(resumeFrom, model, optimizer).history;
    await writeMetrics(dir, history);
    const inputShape = runInputShape(spec, dataset);
    const macs = countMacs(model, inputShape);
    const step = createTrainingStep(model, optimizer);
    let globalStep = history.length * batchCount(dataset.train, spec.batchSize);
    for (let epoch = history.length + 1; epoch <= spec.epochs; epoch++) {
      const metrics = await withSeededRandom(spec.seed * 100_003 + epoch, () =>
        trainEpoch(model, optimizer, step, spec, dataset, epoch, globalStep, options),
      );
      globalStep += batchCount(dataset.train, spec.batchSize);
      history.push(metrics);
      const state: CheckpointState<EpochMetrics> = { epoch, history };
      await saveCheckpoint(join(dir, RUN_FILES.checkpoint), model, optimizer, state);
      await writeMetrics(dir, history);
      options.onEpoch?.(metrics);
    }
    const last = history[history.length - 1];
    const result: RunResult = {
      id: runId(spec),
      spec,
      dataset: dataset.name,
      data: identity.data,
      params: countParams(model),
      macs,
      inputShape,
      backend: tf.getBackend(),
      device: (await describeBackend()).device,
      dtype: 'float32',
      history,
      testAccuracy: last?.testAccuracy ?? Number.NaN,
      testLoss: last?.testLoss ?? Number.NaN,
      imagesPerSecond: median(history.map((m) => m.imagesPerSecond)),
      finishedAt: new Date().toISOString(),
    };
    await writeJsonFile(finalPath, result);
    return result;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

async function trainEpoch(
  model: tf.LayersModel,
  optimizer: TrainingOptimizer,
  trainingStep: ReturnType<typeof createTrainingStep>,
  spec: RunSpec,
  dataset: Dataset,
  epoch: number,
  firstStep: number,
  options: TrainOptions,
): Promise<EpochMetrics> {
  optimizer.learningRate = learningRateAt(spec, epoch - 1);
  const steps = batchCount(dataset.train, spec.batchSize);
  const started = performance.now();
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let step = firstStep;
  const order = {
    batchSize: spec.batchSize,
    shuffleSeed: spec.seed * 7919 + epoch,
    augment: spec.augment,
    ...(spec.imageSize ? { imageSize: spec.imageSize } : {}),
  };
  // The loss and hit count of a step are read back while the next step is queued: on a GPU a
  // read waits for the work queued before it, so reading step k before queueing step k + 1 would
  // leave the GPU idle while the CPU dispatches k + 1's kernels. Step k's update is applied before
  // its loss is known; a non-finite loss still stops the run naming step k (its weights are
  // discarded: checkpoints are written only after whole epochs).
  let pending: { step: number; size: number; read: Promise<[number, number]> } | null = null;
  const settle = async ({ step: at, size, read }: NonNullable<typeof pending>) => {
    const [loss, hits] = await read;
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(spec, at, loss);
    lossSum += loss * size;
    correct += hits;
    seen += size;
    const seconds = (performance.now() - started) / 1000;
    options.onStep?.({
      epoch,
      epochs: spec.epochs,
      step: at - firstStep,
      steps,
      loss: lossSum / seen,
      accuracy: correct / seen,
      imagesPerSecond: seen / seconds,
      seconds,
    });
  };
  for (const batch of batches(dataset.train, dataset, order)) {
    step++;
    const { loss, hits } = trainingStep(batch);
    batch.x.dispose();
    batch.y.dispose();
    // Both reads start now (behind this step's work) and are awaited after the next step is
    // queued; the two scalars live until then (tfjs-webgpu must not free data it is reading).
    const read = Promise.all([loss.data(), hits.data()]).then(([l, h]) => {
      tf.dispose([loss, hits]);
      return [l[0] ?? Number.NaN, h[0] ?? 0] as [number, number];
    });
    const previous = pending;
    pending = { step, size: batch.size, read };
    if (previous) await settle(previous);
  }
  if (pending) await settle(pending);
  const seconds = (performance.now() - started) / 1000;
  const test = await evaluate(model, dataset.test, dataset, 256, spec.imageSize);
  return {
    epoch,
    learningRate: optimizer.learningRate,
    trainLoss: lossSum / seen,
    trainAccuracy: correct / seen,
    testLoss: test.loss,
    testAccuracy: test.accuracy,
    imagesPerSecond: seen / seconds,
    seconds,
  };
}

async function writeMetrics(dir: string, history: EpochMetrics[]): Promise<void> {
  // Rewritten from the checkpointed history, so a kill between writes never leaves a stray line.
  await writeFile(
    join(dir, RUN_FILES.metrics),
    history.map((m) => `${JSON.stringify(m)}\n`).join(''),
  );
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
