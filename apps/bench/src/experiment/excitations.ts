/**
 * `se-zoo excitations`: the paper's Fig. 6/7 analysis on a trained run. For chosen classes, the
 * mean excitation of every channel at every SE block over the test images of that class; and
 * the §7.2 observation that the last stage's SE blocks can be dropped at inference (replaced by
 * the identity, a scale of 1) at a small cost in accuracy.
 */
import { type SEConfig, SqueezeExcite } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { batches } from '../data/batches.js';
import type { Dataset, ImageSet } from '../data/dataset.js';
import { CliError } from '../errors.js';
import type { RunSpec } from '../train/run.js';
import { buildRunModel } from '../train/trainer.js';

/** Per-channel mean and (population) standard deviation of the excitation over some images. */
export interface ChannelStatistics {
  /** Images averaged. */
  count: number;
  /** Mean excitation of each channel. */
  mean: number[];
  /** Standard deviation of each channel's excitation over the images. */
  std: number[];
}

/** The excitations of one SE block, per chosen class and over all images. */
export interface BlockExcitation {
  /** The SE layer's name, e.g. `layer3.1.se`. */
  name: string;
  /** Its stage (from `layer<k>.` in the name), or null where the name does not say. */
  stage: number | null;
  channels: number;
  /** One entry per chosen class, in the order chosen. */
  classes: (ChannelStatistics & { index: number; name: string })[];
  /** Over every test image, whatever its class (the paper's "all"). */
  all: ChannelStatistics;
}

/** The stage of a layer named like `layer3.1.se` (ResNet families), or null. */
export function stageOf(layerName: string): number | null {
  const match = /(?:^|\.)layer(\d+)\./.exec(layerName);
  return match ? Number(match[1]) : null;
}

/** Every SE block of a model, in the order of its layers. */
export function seBlocks(model: tf.LayersModel): SqueezeExcite[] {
  return model.layers.filter((l): l is SqueezeExcite => l instanceof SqueezeExcite);
}

/**
 * The blocks named in `names` (a block's full name, e.g. `layer3.1.se`, or its unit, `layer3.1`,
 * or a stage, `layer3`); all blocks when `names` is empty. An unknown name is an error listing
 * the model's blocks.
 */
export function selectBlocks(blocks: SqueezeExcite[], names: readonly string[]): SqueezeExcite[] {
  if (names.length === 0) return blocks;
  const matches = (block: SqueezeExcite, name: string) =>
    block.name === name || block.name.startsWith(`${name}.`);
  for (const name of names) {
    if (!blocks.some((b) => matches(b, name))) {
      throw new CliError(
        `no SE block matches '${name}'; the model's blocks are ${blocks.map((b) => b.name).join(', ')}`,
      );
    }
  }
  return blocks.filter((b) => names.some((name) => matches(b, name)));
}

/** Options of {@link excitationStatistics}. */
export interface ExcitationOptions {
  /** Class indices whose images are averaged separately. */
  classes: readonly number[];
  /** Which SE blocks (see {@link selectBlocks}); all when empty or omitted. */
  blocks?: readonly string[];
  batchSize?: number;
  /** Resize the images as the run that trained the model did. */
  imageSize?: number;
}

class Accumulator {
  readonly sum: Float64Array;
  readonly squares: Float64Array;
  count = 0;
  constructor(readonly channels: number) {
    this.sum = new Float64Array(channels);
    this.squares = new Float64Array(channels);
  }
  add(values: Float32Array, offset: number): void {
    for (let c = 0; c < this.channels; c++) {
      const v = values[offset + c] ?? 0;
      this.sum[c] = (this.sum[c] ?? 0) + v;
      this.squares[c] = (this.squares[c] ?? 0) + v * v;
    }
    this.count++;
  }
  statistics(): ChannelStatistics {
    const n = this.count;
    const mean = Array.from(this.sum, (s) => (n === 0 ? Number.NaN : s / n));
    const std = Array.from(this.squares, (s, c) =>
      n === 0 ? Number.NaN : Math.sqrt(Math.max(0, s / n - (mean[c] ?? 0) ** 2)),
    );
    return { count: n, mean, std };
  }
}

/**
 * Mean excitation of each channel at each chosen SE block, per class, over `set`. A sub-model
 * outputs each block's input; {@link SqueezeExcite.excitation} turns it into the gate values
 * (averaged over positions for NoSqueeze blocks, whose gate is per position).
 */
export async function excitationStatistics(
  model: tf.LayersModel,
  set: ImageSet,
  dataset: Pick<Dataset, 'classes' | 'classNames' | 'mean' | 'std'>,
  options: ExcitationOptions,
): Promise<BlockExcitation[]> {
  const blocks = selectBlocks(seBlocks(model), options.blocks ?? []);
  if (blocks.length === 0) throw new CliError(`model ${model.name} has no SE blocks`);
  for (const c of options.classes) {
    if (!Number.isInteger(c) || c < 0 || c >= dataset.classes) {
      throw new CliError(`class ${c} is not one of the dataset's classes 0–${dataset.classes - 1}`);
    }
  }
  // The layers are shared with `model`: the sub-model owns no weights and is not disposed.
  const inputs = tf.model({
    inputs: model.inputs,
    outputs: blocks.map((b) => b.input as tf.SymbolicTensor),
  });
  const perClass = blocks.map((b) => options.classes.map(() => new Accumulator(b.channelCount)));
  const overall = blocks.map((b) => new Accumulator(b.channelCount));
  const batchOptions = {
    batchSize: options.batchSize ?? 64,
    ...(options.imageSize ? { imageSize: options.imageSize } : {}),
  };
  for (const batch of batches(set, dataset, batchOptions)) {
    const labelTensor = tf.argMax(batch.y, 1);
    const labels = await labelTensor.data();
    labelTensor.dispose();
    const outputs = inputs.predict(batch.x);
    const blockInputs = Array.isArray(outputs) ? outputs : [outputs];
    for (const [i, block] of blocks.entries()) {
      const input = blockInputs[i] as tf.Tensor;
      const means = tf.tidy(() => tf.mean(block.excitation(input), [1, 2]));
      const values = (await means.data()) as Float32Array;
      means.dispose();
      const channels = block.channelCount;
      for (let b = 0; b < batch.size; b++) {
        overall[i]?.add(values, b * channels);
        const k = options.classes.indexOf(labels[b] ?? -1);
        if (k >= 0) perClass[i]?.[k]?.add(values, b * channels);
      }
    }
    tf.dispose(blockInputs);
    batch.x.dispose();
    batch.y.dispose();
  }
  return blocks.map((block, i) => {
    const statistics = (accumulator: Accumulator | undefined) =>
      (accumulator ?? new Accumulator(block.channelCount)).statistics();
    return {
      name: block.name,
      stage: stageOf(block.name),
      channels: block.channelCount,
      classes: options.classes.map((index, k) => ({
        index,
        name: dataset.classNames[index] ?? `class ${index}`,
        ...statistics(perClass[i]?.[k]),
      })),
      all: statistics(overall[i]),
    };
  });
}

/** A model with the SE blocks of its last stage removed, and what was removed. */
export interface WithoutLastStage {
  /** The same network and weights, with the last stage's SE blocks as the identity. */
  model: tf.LayersModel;
  /** The stage whose SE blocks were removed. */
  stage: number;
  /** Names of the removed SE blocks. */
  removed: string[];
}

/**
 * Rebuilds the run's model with SE in every stage but the last one that has SE blocks, and
 * copies `model`'s weights into it: at inference this is the original network with the last
 * stage's SE blocks replaced by the identity (a scale of 1). The caller disposes the model.
 */
export function withoutLastStageSE(
  model: tf.LayersModel,
  spec: Pick<RunSpec, 'model' | 'se' | 'imageSize'>,
  dataset: Dataset,
): WithoutLastStage {
  const blocks = seBlocks(model);
  if (blocks.length === 0) throw new CliError(`model ${model.name} has no SE blocks`);
  const stages = blocks.map((b) => stageOf(b.name));
  if (stages.some((s) => s === null)) {
    throw new CliError(
      `cannot tell the stages of ${spec.model}'s SE blocks from their names (${blocks[0]?.name}, …)`,
    );
  }
  const present = [...new Set(stages as number[])].sort((a, b) => a - b);
  const last = present[present.length - 1] as number;
  const kept = present.slice(0, -1);
  const options: SEConfig = typeof spec.se === 'object' ? spec.se : {};
  const reduced = buildRunModel(
    { ...spec, se: kept.length === 0 ? false : { ...options, stages: kept } },
    dataset,
  );
  const byName = new Map(model.weights.map((w) => [w.originalName, w]));
  for (const weight of reduced.weights) {
    const source = byName.get(weight.originalName);
    if (!source || source.shape.join() !== weight.shape.join()) {
      reduced.dispose();
      throw new Error(
        `the model without last-stage SE has a weight the run lacks: ${weight.originalName}`,
      );
    }
    weight.write(source.read());
  }
  return {
    model: reduced,
    stage: last,
    removed: blocks.filter((b) => stageOf(b.name) === last).map((b) => b.name),
  };
}

/** The §7.2 check: accuracy with every SE block and without the last stage's. */
export interface IdentityCheck {
  /** The stage whose SE blocks were replaced by the identity. */
  stage: number;
  removed: string[];
  accuracyAll: number;
  accuracyWithoutLastStage: number;
  lossAll: number;
  lossWithoutLastStage: number;
  paramsAll: number;
  paramsWithoutLastStage: number;
}

/** excitations.json. */
export interface ExcitationReport {
  /** The run directory. */
  run: string;
  model: string;
  se: RunSpec['se'];
  dataset: string;
  testImages: number;
  inputShape: number[];
  backend: string;
  blocks: BlockExcitation[];
  identity: IdentityCheck;
  createdAt: string;
}

/** Parses `--classes`: indices or class names, comma-separated; default all classes up to 10. */
export function parseClasses(text: string | undefined, dataset: Dataset): number[] {
  if (text === undefined) {
    return Array.from({ length: Math.min(dataset.classes, 10) }, (_, i) => i);
  }
  return text.split(',').map((part) => {
    const item = part.trim();
    const named = dataset.classNames.findIndex((n) => n.toLowerCase() === item.toLowerCase());
    if (named >= 0) return named;
    const index = Number(item);
    if (item === '' || !Number.isInteger(index) || index < 0 || index >= dataset.classes) {
      throw new CliError(
        `--classes: '${item}' is neither a class index 0–${dataset.classes - 1} nor one of ${dataset.classNames.join(', ')}`,
      );
    }
    return index;
  });
}
