/** One training run: what defines it, its directory name and what it leaves behind. */

import type { Hyperparameters, SEConfig } from '@se/core';
import type { Dataset } from '../data/dataset.js';

/** Everything that defines one training run; equal specs give equal results. */
export interface RunSpec extends Hyperparameters {
  /** Registered model name, e.g. `seresnet20`. */
  model: string;
  /** SE on (the model's default SE or these options) or off (the plain twin). */
  se: boolean | SEConfig;
  seed: number;
  /** The name of the recipe the hyperparameters come from (after any overrides). */
  recipe: string;
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

/** The data a run trains and tests on, as far as its results depend on it. */
export interface DataIdentity {
  name: string;
  classes: number;
  trainImages: number;
  testImages: number;
  /** `[height, width, channels]` of the images as stored. */
  imageShape: [number, number, number];
}

/** What run.json records: a directory holds the run it was made for, and no other. */
export interface RunIdentity {
  spec: RunSpec;
  data: DataIdentity;
  dtype: 'float32';
}

/** The identity of `dataset` (already cut to its limits). */
export function dataIdentity(dataset: Dataset): DataIdentity {
  const { height, width, channels } = dataset.train;
  return {
    name: dataset.name,
    classes: dataset.classes,
    trainImages: dataset.train.count,
    testImages: dataset.test.count,
    imageShape: [height, width, channels],
  };
}

/** A run's directory name: `seresnet20-se-seed1`, or `seresnet20-r8-seed1` for a variant. */
export function runId(spec: Pick<RunSpec, 'model' | 'se' | 'seed' | 'variant'>): string {
  return `${spec.model}-${spec.variant ?? (spec.se === false ? 'plain' : 'se')}-seed${spec.seed}`;
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
  data: DataIdentity;
  params: number;
  macs: number;
  /** The model's input, `[height, width, channels]`. */
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
      `loss became ${loss} in ${runId(spec)} (model ${spec.model}, seed ${spec.seed}) at step ${step}; lower the learning rate (--lr)`,
    );
  }
}
