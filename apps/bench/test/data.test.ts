import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batches } from '../src/data/batches.js';
import { loadCifar } from '../src/data/cifar.js';
import { DEBIAN_FASHION_MNIST, loadIdxDataset, parseIdx } from '../src/data/idx.js';
import { seededRandom, shuffledIndices } from '../src/data/random.js';
import { syntheticDataset } from '../src/data/synthetic.js';
import { idx } from './fixtures.js';

/** A CIFAR-10 record: label, then 1024 red, 1024 green, 1024 blue bytes. */
function cifarRecord(
  label: number,
  red: number,
  green: number,
  blue: number,
  labelBytes = 1,
): number[] {
  return [
    ...(labelBytes === 2 ? [0] : []),
    label,
    ...new Array(1024).fill(red),
    ...new Array(1024).fill(green),
    ...new Array(1024).fill(blue),
  ];
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-data-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function writeMnist(folder: string, files: Partial<Record<string, Uint8Array>> = {}) {
  const path = join(dir, folder);
  await rm(path, { recursive: true, force: true });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path, { recursive: true });
  // 3 training images of 2×2 and 2 test images; the training file is gzipped as Debian ships it.
  const defaults: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte.gz': gzipSync(
      idx([3, 2, 2], [0, 255, 0, 255, 10, 20, 30, 40, 1, 2, 3, 4]),
    ),
    'train-labels-idx1-ubyte.gz': gzipSync(idx([3], [9, 0, 4])),
    't10k-images-idx3-ubyte': idx([2, 2, 2], [5, 6, 7, 8, 9, 10, 11, 12]),
    't10k-labels-idx1-ubyte': idx([2], [1, 2]),
  };
  for (const [name, bytes] of Object.entries({ ...defaults, ...files })) {
    if (bytes) await writeFile(join(path, name), bytes);
  }
  return path;
}

describe('IDX (Fashion-MNIST, MNIST)', () => {
  it('reads gzipped and plain files into NHWC bytes', async () => {
    const data = await loadIdxDataset(await writeMnist('ok'), 'fashion-mnist');
    expect(data.train.count).toBe(3);
    expect([data.train.height, data.train.width, data.train.channels]).toEqual([2, 2, 1]);
    expect(Array.from(data.train.labels)).toEqual([9, 0, 4]);
    expect(Array.from(data.test.images)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(data.classNames[9]).toBe('Ankle boot');
    // Mean of the 12 training pixels / 255.
    expect(data.mean[0]).toBeCloseTo(
      (0 + 255 + 0 + 255 + 10 + 20 + 30 + 40 + 1 + 2 + 3 + 4) / 12 / 255,
      10,
    );
  });
  it('names the file and the problem for each kind of corruption', async () => {
    const cases: [string, Partial<Record<string, Uint8Array>>, RegExp][] = [
      [
        'magic',
        { 't10k-labels-idx1-ubyte': Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 2, 1, 2]) },
        /t10k-labels-idx1-ubyte: wrong magic number 0x00000d01/,
      ],
      [
        'truncated',
        { 't10k-images-idx3-ubyte': idx([2, 2, 2], [5, 6, 7]) },
        /t10k-images-idx3-ubyte: truncated: the header promises 8 bytes of data for shape \[2, 2, 2\], the file has 3/,
      ],
      [
        'label',
        { 'train-labels-idx1-ubyte.gz': gzipSync(idx([3], [9, 10, 4])) },
        /train-labels-idx1-ubyte.gz: label 10 of item 1 is out of range \(the dataset has 10 classes, 0–9\)/,
      ],
      [
        'count',
        { 't10k-labels-idx1-ubyte': idx([1], [1]) },
        /t10k-labels-idx1-ubyte: 1 labels for the 2 images/,
      ],
      [
        'gzip',
        { 'train-images-idx3-ubyte.gz': Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]) },
        /train-images-idx3-ubyte.gz: corrupt gzip data/,
      ],
    ];
    for (const [folder, files, message] of cases) {
      await expect(loadIdxDataset(await writeMnist(folder, files), 'mnist')).rejects.toThrow(
        message,
      );
    }
  });
  it('names a missing file', async () => {
    const path = await writeMnist('missing');
    await rm(join(path, 't10k-labels-idx1-ubyte'));
    await expect(loadIdxDataset(path, 'mnist')).rejects.toThrow(
      `${join(path, 't10k-labels-idx1-ubyte.gz')}: missing (looked for t10k-labels-idx1-ubyte.gz and t10k-labels-idx1-ubyte in ${path})`,
    );
  });
  it('parses a raw IDX header by hand', () => {
    expect(parseIdx('x', idx([1, 2], [7, 8]))).toEqual({
      shape: [1, 2],
      data: Uint8Array.from([7, 8]),
    });
  });
  it.skipIf(!existsSync(DEBIAN_FASHION_MNIST))(
    'reads the real Fashion-MNIST of Debian',
    async () => {
      const data = await loadIdxDataset(DEBIAN_FASHION_MNIST, 'fashion-mnist');
      expect([data.train.count, data.test.count]).toEqual([60000, 10000]);
      expect([data.train.height, data.train.width]).toEqual([28, 28]);
      // The first training and test images are both ankle boots; each class has 6,000 images.
      expect([data.train.labels[0], data.test.labels[0]]).toEqual([9, 9]);
      expect(data.train.labels.filter((l) => l === 3).length).toBe(6000);
    },
  );
});

describe('CIFAR binary files', () => {
  async function writeCifar(folder: string, files: Record<string, number[]>) {
    const { mkdir } = await import('node:fs/promises');
    const path = join(dir, folder, 'cifar-10-batches-bin');
    await mkdir(path, { recursive: true });
    for (const [name, bytes] of Object.entries(files))
      await writeFile(join(path, name), Uint8Array.from(bytes));
    return join(dir, folder);
  }
  const batchFiles = (extra: Record<string, number[]> = {}) => ({
    'data_batch_1.bin': [...cifarRecord(3, 10, 20, 30), ...cifarRecord(9, 1, 2, 3)],
    ...Object.fromEntries(
      [2, 3, 4, 5].map((i) => [`data_batch_${i}.bin`, cifarRecord(i, i, i, i)]),
    ),
    'test_batch.bin': cifarRecord(0, 200, 100, 50),
    ...extra,
  });
  it('reads CIFAR-10 planar records into NHWC', async () => {
    const data = await loadCifar(await writeCifar('c10', batchFiles()), 'cifar10');
    expect(data.train.count).toBe(6);
    expect(Array.from(data.train.labels)).toEqual([3, 9, 2, 3, 4, 5]);
    // Pixel 0 of image 0 interleaves the three planes: R 10, G 20, B 30.
    expect(Array.from(data.train.images.subarray(0, 6))).toEqual([10, 20, 30, 10, 20, 30]);
    expect(Array.from(data.test.images.subarray(0, 3))).toEqual([200, 100, 50]);
    expect(data.classNames[3]).toBe('cat');
  });
  it('reads CIFAR-100 fine labels', async () => {
    const { mkdir } = await import('node:fs/promises');
    const path = join(dir, 'c100');
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'train.bin'), Uint8Array.from(cifarRecord(99, 1, 1, 1, 2)));
    await writeFile(join(path, 'test.bin'), Uint8Array.from(cifarRecord(42, 1, 1, 1, 2)));
    const data = await loadCifar(path, 'cifar100');
    expect([data.train.labels[0], data.test.labels[0], data.classes]).toEqual([99, 42, 100]);
  });
  it('names truncated files, bad labels and missing files', async () => {
    await expect(
      loadCifar(
        await writeCifar(
          'trunc',
          batchFiles({ 'test_batch.bin': cifarRecord(0, 1, 1, 1).slice(0, 3000) }),
        ),
        'cifar10',
      ),
    ).rejects.toThrow(
      /test_batch\.bin: truncated or corrupt: 3000 bytes is not a whole number of 3073-byte records/,
    );
    await expect(
      loadCifar(
        await writeCifar('label', batchFiles({ 'test_batch.bin': cifarRecord(10, 1, 1, 1) })),
        'cifar10',
      ),
    ).rejects.toThrow(/test_batch\.bin: label 10 of item 0 is out of range/);
    const missing = batchFiles();
    delete (missing as Record<string, number[]>)['data_batch_4.bin'];
    await expect(loadCifar(await writeCifar('missing', missing), 'cifar10')).rejects.toThrow(
      /data_batch_4\.bin: missing/,
    );
  });
});

describe('batches', () => {
  const tiny = {
    classes: 3,
    mean: [0.5],
    std: [0.25],
  };
  // Two 2×2 images: [0, 51, 102, 153] and [255, 255, 0, 0].
  const set = {
    images: Uint8Array.from([0, 51, 102, 153, 255, 255, 0, 0]),
    labels: Uint8Array.from([2, 0]),
    count: 2,
    height: 2,
    width: 2,
    channels: 1,
  };
  it('normalises with the dataset mean and std and one-hot encodes', () => {
    const [batch] = [...batches(set, tiny, { batchSize: 2 })];
    // (v/255 − 0.5) / 0.25: 0 → −2, 51 → −1.2, 102 → −0.4, 153 → 0.4, 255 → 2.
    expect(Array.from(batch?.x.dataSync() ?? [])).toEqual(
      [-2, -1.2, -0.4, 0.4, 2, 2, -2, -2].map((v) => Math.fround(v)),
    );
    expect(batch?.y.arraySync()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
  });
  it('shuffles reproducibly by seed and covers every index once', () => {
    const a = shuffledIndices(10, 7);
    expect(Array.from(a)).toEqual(Array.from(shuffledIndices(10, 7)));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(a)).not.toEqual(Array.from(shuffledIndices(10, 8)));
    expect(seededRandom(1)()).toBe(seededRandom(1)());
  });
  it('pad-crop and flip move pixels as they should', () => {
    const one = {
      ...set,
      images: set.images.subarray(0, 4),
      labels: set.labels.subarray(0, 1),
      count: 1,
    };
    const identity = { classes: 3, mean: [0], std: [1 / 255] };
    // Over many seeds every result is the image shifted by at most one pixel (zeros enter), or mirrored.
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const [batch] = [
        ...batches(one, identity, {
          batchSize: 1,
          shuffleSeed: seed,
          augment: { padCrop: 1, flip: true },
        }),
      ];
      seen.add(Array.from(batch?.x.dataSync() ?? []).join(','));
    }
    expect(seen.has('0,51,102,153')).toBe(true); // unchanged
    expect(seen.has('51,0,153,102')).toBe(true); // mirrored
    expect(seen.has('0,0,0,51')).toBe(true); // shifted down and right by one
    expect(seen.has('153,102,0,0')).toBe(true); // mirrored, then the bottom row moved up
    // 9 offsets × (mirrored or not), some of which coincide on a 2×2 image; pixels only move.
    expect(seen.size).toBeLessThanOrEqual(18);
    for (const image of seen) {
      for (const v of image.split(',')) expect(['0', '51', '102', '153']).toContain(v);
    }
  });
  it('makes a learnable synthetic dataset of the asked size', () => {
    const data = syntheticDataset({ classes: 4, trainCount: 8, testCount: 4, size: 8 });
    expect([data.train.count, data.test.count, data.train.height]).toEqual([8, 4, 8]);
    expect(Array.from(data.train.labels)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });
});
