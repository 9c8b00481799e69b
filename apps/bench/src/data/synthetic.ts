import { channelStatistics, DataError, type Dataset, type ImageSet } from './dataset.js';
import { seededRandom } from './random.js';

/** Options of {@link syntheticDataset}. */
export interface SyntheticOptions {
  classes?: number;
  trainCount?: number;
  testCount?: number;
  size?: number;
  channels?: number;
  seed?: number;
}

/**
 * A tiny learnable dataset for tests and smoke runs: each class is a bright square at its own
 * place on a noisy background.
 */
export function syntheticDataset(options: SyntheticOptions = {}): Dataset {
  const {
    classes = 4,
    trainCount = 256,
    testCount = 64,
    size = 16,
    channels = 1,
    seed = 1,
  } = options;
  if (classes > 16) throw new DataError('synthetic', `at most 16 classes, got ${classes}`);
  const random = seededRandom(seed);
  const make = (count: number): ImageSet => {
    const images = new Uint8Array(count * size * size * channels);
    const labels = new Uint8Array(count);
    const cell = Math.floor(size / 4);
    for (let n = 0; n < count; n++) {
      const label = n % classes;
      labels[n] = label;
      const top = Math.floor(label / 4) * cell;
      const left = (label % 4) * cell;
      for (let row = 0; row < size; row++) {
        for (let col = 0; col < size; col++) {
          const lit = row >= top && row < top + cell && col >= left && col < left + cell;
          for (let c = 0; c < channels; c++) {
            images[((n * size + row) * size + col) * channels + c] =
              Math.floor(random() * 60) + (lit ? 160 : 0);
          }
        }
      }
    }
    return { images, labels, count, height: size, width: size, channels };
  };
  const train = make(trainCount);
  return {
    name: 'synthetic',
    classes,
    classNames: Array.from({ length: classes }, (_, i) => `class ${i}`),
    train,
    test: make(testCount),
    ...channelStatistics(train),
    source: `synthetic (seed ${seed})`,
  };
}
