import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  channelStatistics,
  checkLabels,
  DataError,
  type Dataset,
  type ImageSet,
} from './dataset.js';

/** An IDX array (the MNIST file format): unsigned bytes and their dimensions. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX file (gzip-compressed or not). Only unsigned-byte data (type 0x08) occurs in
 * MNIST-style datasets; anything else, a bad magic number or a size that does not match the
 * header is an error naming the file.
 */
export function parseIdx(file: string, raw: Uint8Array): IdxArray {
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzip(file, raw) : raw;
  if (bytes.length < 4)
    throw new DataError(file, `only ${bytes.length} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = (magic >> 8) & 0xff;
  const rank = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== 0x08 || rank < 1 || rank > 4) {
    throw new DataError(
      file,
      `wrong magic number 0x${magic.toString(16).padStart(8, '0')} (an IDX file of unsigned bytes starts with 0x0000080N)`,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes)
    throw new DataError(file, `truncated IDX header (${bytes.length} bytes)`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = shape.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    throw new DataError(
      file,
      `${actual < expected ? 'truncated' : 'too long'}: the header promises ${expected} bytes of data for shape [${shape.join(', ')}], the file has ${actual}`,
    );
  }
  return { shape, data: bytes.subarray(headerBytes) };
}

function gunzip(file: string, raw: Uint8Array): Uint8Array {
  try {
    return gunzipSync(raw);
  } catch (error) {
    throw new DataError(file, `corrupt gzip data (${(error as Error).message})`);
  }
}

async function readFirst(
  dir: string,
  names: string[],
): Promise<{ file: string; bytes: Uint8Array }> {
  for (const name of names) {
    const file = join(dir, name);
    try {
      return { file, bytes: await readFile(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new DataError(
    join(dir, names[0] ?? ''),
    `missing (looked for ${names.join(' and ')} in ${dir})`,
  );
}

async function readSplit(
  dir: string,
  prefix: 'train' | 't10k',
  classes: number,
): Promise<ImageSet> {
  const imageFile = await readFirst(dir, [
    `${prefix}-images-idx3-ubyte.gz`,
    `${prefix}-images-idx3-ubyte`,
  ]);
  const labelFile = await readFirst(dir, [
    `${prefix}-labels-idx1-ubyte.gz`,
    `${prefix}-labels-idx1-ubyte`,
  ]);
  const images = parseIdx(imageFile.file, imageFile.bytes);
  const labels = parseIdx(labelFile.file, labelFile.bytes);
  if (images.shape.length !== 3) {
    throw new DataError(
      imageFile.file,
      `expected images of shape [count, rows, columns], got [${images.shape.join(', ')}]`,
    );
  }
  if (labels.shape.length !== 1) {
    throw new DataError(
      labelFile.file,
      `expected labels of shape [count], got [${labels.shape.join(', ')}]`,
    );
  }
  const [count = 0, height = 0, width = 0] = images.shape;
  if (count === 0) throw new DataError(imageFile.file, 'holds no images (its header says 0)');
  if (height === 0 || width === 0)
    throw new DataError(imageFile.file, `holds images of ${height}×${width} pixels`);
  if (labels.shape[0] !== count) {
    throw new DataError(
      labelFile.file,
      `${labels.shape[0]} labels for the ${count} images of ${imageFile.file}`,
    );
  }
  checkLabels(labelFile.file, labels.data, classes);
  return { images: images.data, labels: labels.data, count, height, width, channels: 1 };
}

const CLASS_NAMES = {
  'fashion-mnist': [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ],
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
} as const;

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/**
 * Loads Fashion-MNIST or MNIST from the four standard IDX files (`train-images-idx3-ubyte[.gz]`,
 * `train-labels-idx1-ubyte[.gz]`, `t10k-…`) in `dir`.
 */
export async function loadIdxDataset(
  dir: string,
  name: 'fashion-mnist' | 'mnist',
): Promise<Dataset> {
  const classNames = [...CLASS_NAMES[name]];
  const train = await readSplit(dir, 'train', classNames.length);
  const test = await readSplit(dir, 't10k', classNames.length);
  return {
    name,
    classes: classNames.length,
    classNames,
    train,
    test,
    ...channelStatistics(train),
    source: dir,
  };
}
