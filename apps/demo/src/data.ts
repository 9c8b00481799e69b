import * as tf from '@tensorflow/tfjs';

/** The classes of Fashion-MNIST, by label. */
export const CLASS_NAMES = [
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
] as const;

/** A set of 28×28 grey images with their labels. */
export interface ImageSet {
  /** `[n, 28, 28, 1]`, pixels scaled to 0…1. */
  images: tf.Tensor4D;
  /** `[n, 10]` one-hot labels. */
  labels: tf.Tensor2D;
  /** The labels as numbers. */
  classes: Uint8Array;
}

const TRAIN = 256;
const TEST = 64;
const PIXELS = 28 * 28;

function imageSet(bytes: Uint8Array, offset: number, count: number): ImageSet {
  const classes = bytes.slice(offset, offset + count);
  const pixels = bytes.subarray(offset + count, offset + count + count * PIXELS);
  return {
    images: tf.tidy(() => tf.tensor4d(pixels, [count, 28, 28, 1], 'int32').toFloat().div(255)),
    labels: tf.tidy(() => tf.oneHot(tf.tensor1d(classes, 'int32'), 10).toFloat() as tf.Tensor2D),
    classes,
  };
}

/**
 * Loads public/fashion-mnist-sample.bin (made by scripts/make-dataset.mjs): 256 training and 64
 * test images, each part labels first, then the 28×28 uint8 images.
 */
export async function loadFashionMnist(url: URL): Promise<{ train: ImageSet; test: ImageSet }> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not load ${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const expected = (TRAIN + TEST) * (PIXELS + 1);
  if (bytes.length !== expected) {
    throw new Error(`${url} has ${bytes.length} bytes, expected ${expected}`);
  }
  return {
    train: imageSet(bytes, 0, TRAIN),
    test: imageSet(bytes, TRAIN * (PIXELS + 1), TEST),
  };
}
