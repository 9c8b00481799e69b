import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  channelStatistics,
  checkLabels,
  concatSets,
  DataError,
  type Dataset,
  type ImageSet,
} from './dataset.js';

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;

/** The layout of one variant of the official CIFAR binary files. */
const VARIANTS = {
  cifar10: {
    folder: 'cifar-10-batches-bin',
    train: [
      'data_batch_1.bin',
      'data_batch_2.bin',
      'data_batch_3.bin',
      'data_batch_4.bin',
      'data_batch_5.bin',
    ],
    test: ['test_batch.bin'],
    // One label byte, then 1024 red, 1024 green and 1024 blue bytes.
    labelBytes: 1,
    classes: 10,
  },
  cifar100: {
    folder: 'cifar-100-binary',
    train: ['train.bin'],
    test: ['test.bin'],
    // A coarse and a fine label byte; the fine label (100 classes) is the one used.
    labelBytes: 2,
    classes: 100,
  },
} as const;

const CIFAR10_NAMES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** Parses one CIFAR binary file into NHWC pixels and (fine) labels. */
export function parseCifarBinary(
  file: string,
  bytes: Uint8Array,
  variant: keyof typeof VARIANTS,
): ImageSet {
  const { labelBytes, classes } = VARIANTS[variant];
  const record = labelBytes + PIXELS;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new DataError(
      file,
      `truncated or corrupt: ${bytes.length} bytes is not a whole number of ${record}-byte records`,
    );
  }
  const count = bytes.length / record;
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const base = n * record;
    labels[n] = bytes[base + labelBytes - 1] ?? 0;
    const pixels = base + labelBytes;
    // Planar (all red, then green, then blue) to interleaved NHWC.
    for (let p = 0; p < SIDE * SIDE; p++) {
      for (let c = 0; c < 3; c++)
        images[n * PIXELS + p * 3 + c] = bytes[pixels + c * SIDE * SIDE + p] ?? 0;
    }
  }
  checkLabels(file, labels, classes);
  return { images, labels, count, height: SIDE, width: SIDE, channels: 3 };
}

async function resolveFolder(dir: string, folder: string): Promise<string> {
  try {
    if ((await stat(join(dir, folder))).isDirectory()) return join(dir, folder);
  } catch {
    // Not nested: the files are directly in `dir`.
  }
  return dir;
}

async function readSet(
  dir: string,
  names: readonly string[],
  variant: keyof typeof VARIANTS,
): Promise<ImageSet> {
  const sets: ImageSet[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new DataError(file, `missing (CIFAR needs ${names.join(', ')} in ${dir})`);
      }
      throw error;
    }
    sets.push(parseCifarBinary(file, bytes, variant));
  }
  return concatSets(sets);
}

/**
 * Loads CIFAR-10 or CIFAR-100 from the official binary files in `dir` (or in its
 * `cifar-10-batches-bin` / `cifar-100-binary` folder).
 */
export async function loadCifar(dir: string, variant: 'cifar10' | 'cifar100'): Promise<Dataset> {
  const spec = VARIANTS[variant];
  const folder = await resolveFolder(dir, spec.folder);
  const train = await readSet(folder, spec.train, variant);
  const test = await readSet(folder, spec.test, variant);
  const classNames =
    variant === 'cifar10' ? CIFAR10_NAMES : Array.from({ length: 100 }, (_, i) => `class ${i}`);
  return {
    name: variant,
    classes: spec.classes,
    classNames,
    train,
    test,
    ...channelStatistics(train),
    source: folder,
  };
}
