import type { Augmentation } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import type { Dataset, ImageSet } from './dataset.js';
import { seededRandom, shuffledIndices } from './random.js';

/** How to cut a split into batches. */
export interface BatchOptions {
  batchSize: number;
  /** Shuffle with this seed; in file order when omitted. */
  shuffleSeed?: number;
  augment?: Augmentation;
  /** Seed of the augmentation's random choices (default: the shuffle seed). */
  augmentSeed?: number;
  /** Resize every image (bilinear, on the device) to this square size; default: unchanged. */
  imageSize?: number;
}

/** One batch: normalised NHWC images and one-hot labels. The caller disposes both. */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  size: number;
}

/** Number of batches `batches` yields (the last one may be smaller). */
export function batchCount(set: ImageSet, batchSize: number): number {
  return Math.ceil(set.count / batchSize);
}

/**
 * Yields normalised batches of `set`: pixels scaled to [0, 1], standardised with the
 * dataset's training mean and std per channel, optionally augmented. Built on the host and
 * uploaded once per batch.
 */
export function* batches(
  set: ImageSet,
  dataset: Pick<Dataset, 'classes' | 'mean' | 'std'>,
  options: BatchOptions,
): Generator<Batch> {
  const { height, width, channels } = set;
  const pixels = height * width * channels;
  const order =
    options.shuffleSeed === undefined ? null : shuffledIndices(set.count, options.shuffleSeed);
  const random = seededRandom(options.augmentSeed ?? options.shuffleSeed ?? 0);
  const pad = options.augment?.padCrop ?? 0;
  const flip = options.augment?.flip ?? false;
  const scale = dataset.std.map((s) => 1 / (255 * s));
  const shift = dataset.mean.map((m, c) => -m / (dataset.std[c] ?? 1));
  for (let start = 0; start < set.count; start += options.batchSize) {
    const size = Math.min(options.batchSize, set.count - start);
    const x = new Float32Array(size * pixels);
    const labels = new Int32Array(size);
    for (let b = 0; b < size; b++) {
      const index = order ? (order[start + b] ?? 0) : start + b;
      labels[b] = set.labels[index] ?? 0;
      const dy = pad > 0 ? Math.floor(random() * (2 * pad + 1)) - pad : 0;
      const dx = pad > 0 ? Math.floor(random() * (2 * pad + 1)) - pad : 0;
      const mirror = flip && random() < 0.5;
      const source = index * pixels;
      const target = b * pixels;
      for (let row = 0; row < height; row++) {
        const sourceRow = row + dy;
        for (let col = 0; col < width; col++) {
          const sourceCol = mirror ? width - 1 - (col + dx) : col + dx;
          const inside =
            sourceRow >= 0 && sourceRow < height && sourceCol >= 0 && sourceCol < width;
          for (let c = 0; c < channels; c++) {
            // Padding is black (pixel value 0) before normalisation, as in the usual protocol.
            const value = inside
              ? (set.images[source + (sourceRow * width + sourceCol) * channels + c] ?? 0)
              : 0;
            x[target + (row * width + col) * channels + c] =
              value * (scale[c] ?? 1) + (shift[c] ?? 0);
          }
        }
      }
    }
    const y = tf.tidy(
      () => tf.oneHot(tf.tensor1d(labels, 'int32'), dataset.classes).toFloat() as tf.Tensor2D,
    );
    const images = tf.tensor4d(x, [size, height, width, channels]);
    const target = options.imageSize;
    if (target === undefined || (target === height && target === width)) {
      yield { x: images, y, size };
    } else {
      const resized = tf.image.resizeBilinear(images, [target, target]);
      images.dispose();
      yield { x: resized, y, size };
    }
  }
}
