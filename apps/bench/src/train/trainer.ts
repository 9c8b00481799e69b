import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeBackend } from '@se/backends';
import { countMacs, countParams, createModel, type SEConfig } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { type Augmentation, batchCount, batches, seededRandom } from '../data/batches.js';
import type { Dataset, ImageSet } from '../data/dataset.js';
import { loadCheckpoint, saveCheckpoint, writeFileAtomic } from './checkpoint.js';
import { SgdMomentum } from './sgd.js';

/** The training protocol of a run. */
export interface Hyperparameters {
  epochs: number;
  batchSize: number;
  /** Peak learning rate of the cosine schedule. */
  learningRate: number;
  momentum: number;
  weightDecay: number;
  augment: Augmentation;
}

/** Everything that defines one training run; equal specs give equal results. */
export interface RunSpec extends Hyperparameters {
  /** Registered model name, e.g. `seresnet20`. */
  model: string;
  /** SE on (the model's default SE or these options) or off (the plain twin). */
  se: boolean | SEConfig;
  seed: number;
  /**
   * Name of the configuration among several of one model (an ablation's row, e.g. `r8`); it
   * replaces `se`/`plain` in the run's id so that each configuration gets its own directory.
   */
  variant?: string;
  /**
   * Train and test at this square input size: every batch is resized (bilinear) on the device,
   * e.g. to run ImageNet-sized networks on small-image datasets. Default: the dataset's size.
   */
  imageSize?: number;
}

/** Metrics of one finished epoch, one line of metrics.jsonl. */
export interface EpochMetrics {
  epoch: number;
  learningRate: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** Training throughput over the epoch (forward, backward and update). */
  imagesPerSecond: number;
  seconds: number;
}

/** final.json of a finished run. */
export interface RunResult {
  id: string;
  spec: RunSpec;
  dataset: string;
  params: number;
  macs: number;
  inputShape: number[];
  backend: string;
  /** The device the backend ran on, in words. */
  device: string;
  dtype: 'float32';
  history: EpochMetrics[];
  testAccuracy: number;
  testLoss: number;
  /** Median training throughput over the epochs. */
  imagesPerSecond: number;
  finishedAt: string;
}

/** A run stopped because its loss became NaN or infinite. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(
    readonly spec: RunSpec,
    readonly step: number,
    loss: number,
  ) {
    super(
      `loss became ${loss} in ${runId(spec)} (model ${spec.model}, seed ${spec.seed}) at step ${step}`,
    );
  }
}

/** Progress of a run, for progress bars. */
export interface StepProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

/** Options of {@link trainRun}. */
export interface TrainOptions {
  /** Continue from the run's checkpoint if it has one (default true). */
  resume?: boolean;
  onStep?: (progress: StepProgress) => void;
  onEpoch?: (metrics: EpochMetrics) => void;
  /** Stop after this many epochs of this call (to simulate a kill in tests). */
  stopAfterEpochs?: number;
  /** Scale the loss by this factor at this global step (to provoke a NaN in tests). */
  corruptAtStep?: number;
}

/** A run's directory name: `seresnet20-se-seed1`, or `seresnet20-r8-seed1` for a variant. */
export function runId(spec: Pick<RunSpec, 'model' | 'se' | 'seed' | 'variant'>): string {
  return `${spec.model}-${spec.variant ?? (spec.se === false ? 'plain' : 'se')}-seed${spec.seed}`;
}

/** Cosine decay from the peak rate to zero over the run, evaluated per epoch. */
export function learningRateAt(spec: RunSpec, epoch: number): number {
  return (spec.learningRate * (1 + Math.cos((Math.PI * epoch) / spec.epochs))) / 2;
}

/**
 * Runs `fn` with `Math.random` replaced by a seeded generator: tfjs's initializers and dropout
 * draw their seeds from it, so a seeded run builds and trains the same way every time.
 */
async function withSeededRandom<T>(seed: number, fn: () => Promise<T> | T): Promise<T> {
  const original = Math.random;
  Math.random = seededRandom(seed);
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}

/** The `[height, width, channels]` a run's model takes: the dataset's, or `imageSize` square. */
export function runInputShape(
  spec: Pick<RunSpec, 'imageSize'>,
  dataset: Dataset,
): [number, number, number] {
  const { height, width, channels } = dataset.train;
  return spec.imageSize ? [spec.imageSize, spec.imageSize, channels] : [height, width, channels];
}

/** Builds a run's model (random initialisation, logits out) for `dataset`. */
export function buildRunModel(
  spec: Pick<RunSpec, 'model' | 'se' | 'imageSize'>,
  dataset: Dataset,
): tf.LayersModel {
  return createModel(spec.model, {
    inputShape: runInputShape(spec, dataset),
    classes: dataset.classes,
    classifierActivation: 'linear',
    se: spec.se,
  });
}

/**
 * Mean loss and accuracy of `model` on `set`; `imageSize` resizes the batches as the run that
 * trained the model did.
 */
export async function evaluate(
  model: tf.LayersModel,
  set: ImageSet,
  dataset: Dataset,
  batchSize = 256,
  imageSize?: number,
) {
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

/**
 * Trains one run into `dir`: metrics.jsonl (one line per epoch), checkpoint.safetensors after
 * every epoch (atomic), final.json at the end. With `resume`, a run with a checkpoint continues
 * where it stopped and a finished run returns its final.json untouched.
 */
export async function trainRun(
  spec: RunSpec,
  dataset: Dataset,
  dir: string,
  options: TrainOptions = {},
): Promise<RunResult> {
  await mkdir(dir, { recursive: true });
  const finalPath = join(dir, 'final.json');
  const checkpointPath = join(dir, 'checkpoint.safetensors');
  if ((options.resume ?? true) && existsSync(finalPath)) {
    return JSON.parse(await readFile(finalPath, 'utf8')) as RunResult;
  }
  const model = await withSeededRandom(spec.seed, () => buildRunModel(spec, dataset));
  const optimizer = new SgdMomentum({
    learningRate: spec.learningRate,
    momentum: spec.momentum,
    weightDecay: spec.weightDecay,
  });
  try {
    let history: EpochMetrics[] = [];
    if ((options.resume ?? true) && existsSync(checkpointPath)) {
      history = (await loadCheckpoint<EpochMetrics>(checkpointPath, model, optimizer)).history;
    }
    await writeMetrics(dir, history);
    const inputShape = runInputShape(spec, dataset);
    const macs = countMacs(model, inputShape);
    let step = history.length * batchCount(dataset.train, spec.batchSize);
    let epochsThisCall = 0;
    for (let epoch = history.length + 1; epoch <= spec.epochs; epoch++) {
      if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
      const metrics = await withSeededRandom(spec.seed * 100_003 + epoch, () =>
        trainEpoch(model, optimizer, spec, dataset, epoch, step, options),
      );
      step += batchCount(dataset.train, spec.batchSize);
      history.push(metrics);
      await saveCheckpoint(checkpointPath, model, optimizer, { epoch, history });
      await writeMetrics(dir, history);
      options.onEpoch?.(metrics);
      epochsThisCall++;
    }
    const last = history[history.length - 1];
    const result: RunResult = {
      id: runId(spec),
      spec,
      dataset: dataset.name,
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
    if (history.length === spec.epochs)
      await writeFileAtomic(finalPath, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

async function trainEpoch(
  model: tf.LayersModel,
  optimizer: SgdMomentum,
  spec: RunSpec,
  dataset: Dataset,
  epoch: number,
  firstStep: number,
  options: TrainOptions,
): Promise<EpochMetrics> {
  optimizer.learningRate = learningRateAt(spec, epoch - 1);
  const steps = batchCount(dataset.train, spec.batchSize);
  const weights = model.trainableWeights;
  const variables = weights.map((w) => w.read() as tf.Variable);
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
    options.onStep?.({
      epoch,
      epochs: spec.epochs,
      step: at - firstStep,
      steps,
      loss: lossSum / seen,
      accuracy: correct / seen,
      imagesPerSecond: seen / ((performance.now() - started) / 1000),
    });
  };
  for (const batch of batches(dataset.train, dataset, order)) {
    step++;
    let hits: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(batch.x, { training: true }) as tf.Tensor2D;
      const loss = tf.losses.softmaxCrossEntropy(batch.y, logits);
      // Train accuracy from the same logits; not connected to the loss, so never differentiated.
      hits = tf.keep(
        tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(batch.y, 1)), 'float32')),
      );
      return (
        step === options.corruptAtStep ? tf.mul(loss, Number.POSITIVE_INFINITY) : loss
      ) as tf.Scalar;
    }, variables);
    optimizer.step(weights, grads);
    tf.dispose(grads);
    batch.x.dispose();
    batch.y.dispose();
    // Both reads start now (behind this step's work) and are awaited after the next step is
    // queued; the two scalars live until then (tfjs-webgpu must not free data it is reading).
    const counted = hits as tf.Tensor;
    const read = Promise.all([value.data(), counted.data()]).then(([l, h]) => {
      tf.dispose([value, counted]);
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
    join(dir, 'metrics.jsonl'),
    history.map((m) => `${JSON.stringify(m)}\n`).join(''),
  );
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
