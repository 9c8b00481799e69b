/**
 * In-memory image classification datasets: uint8 NHWC pixels and one label per image, as the
 * standard files store them. Conversion to float tensors happens per batch (see batches.ts).
 */

/** One split of a dataset. */
export interface ImageSet {
  /** Pixels, NHWC, `count · height · width · channels` bytes. */
  images: Uint8Array;
  /** One class index per image. */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

/** A dataset with its train and test splits. */
export interface Dataset {
  /** `fashion-mnist`, `mnist`, `cifar10`, `cifar100` or `synthetic`. */
  name: string;
  classes: number;
  classNames: string[];
  train: ImageSet;
  test: ImageSet;
  /** Per-channel mean and standard deviation of the training pixels in [0, 1]. */
  mean: number[];
  std: number[];
  /** Where it was read from (or how it was made). */
  source: string;
}

/** A dataset file that is missing, truncated or corrupt; the message names the file. */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** Checks every label of `labels` is below `classes`. */
export function checkLabels(file: string, labels: Uint8Array, classes: number): void {
  const bad = labels.findIndex((label) => label >= classes);
  if (bad >= 0) {
    throw new DataError(
      file,
      `label ${labels[bad]} of item ${bad} is out of range (the dataset has ${classes} classes, 0–${classes - 1})`,
    );
  }
}

/** Per-channel mean and standard deviation of NHWC uint8 pixels, scaled to [0, 1]. */
export function channelStatistics(set: ImageSet): { mean: number[]; std: number[] } {
  const { channels } = set;
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  for (let i = 0; i < set.images.length; i++) {
    const v = (set.images[i] ?? 0) / 255;
    const c = i % channels;
    sum[c] = (sum[c] ?? 0) + v;
    squares[c] = (squares[c] ?? 0) + v * v;
  }
  const n = set.images.length / channels;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(squares, (s, c) =>
    Math.sqrt(Math.max(s / n - (mean[c] ?? 0) ** 2, 1e-12)),
  );
  return { mean, std };
}

/** Concatenates splits of equal image size. */
export function concatSets(sets: ImageSet[]): ImageSet {
  const [first] = sets;
  if (!first) throw new Error('concatSets: nothing to concatenate');
  const images = new Uint8Array(sets.reduce((n, s) => n + s.images.length, 0));
  const labels = new Uint8Array(sets.reduce((n, s) => n + s.labels.length, 0));
  let imageOffset = 0;
  let labelOffset = 0;
  for (const set of sets) {
    images.set(set.images, imageOffset);
    labels.set(set.labels, labelOffset);
    imageOffset += set.images.length;
    labelOffset += set.labels.length;
  }
  return { ...first, images, labels, count: labels.length };
}

/** The first `count` images of a split (for quick runs). */
export function headOf(set: ImageSet, count: number): ImageSet {
  const n = Math.min(count, set.count);
  const size = set.height * set.width * set.channels;
  return {
    ...set,
    images: set.images.subarray(0, n * size),
    labels: set.labels.subarray(0, n),
    count: n,
  };
}

/** Checks that a dataset has images to train and test on; the error names where it came from. */
export function checkNotEmpty(dataset: Dataset): void {
  for (const [split, set] of [
    ['training', dataset.train],
    ['test', dataset.test],
  ] as const) {
    if (set.count === 0) throw new DataError(dataset.source, `holds no ${split} images`);
  }
}
