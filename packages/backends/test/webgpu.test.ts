// SE Zoo's webgpu kernels give the cpu backend's values. They run on any WebGPU adapter: in CI,
// Dawn (the `webgpu` package) on Mesa's lavapipe, a software Vulkan driver (scripts/lib/setup.sh
// installs it). Without an adapter the whole file is skipped, saying why.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  registerWebGPUKernels,
  setBackend,
  unregisterWebGPUKernels,
  WEBGPU_KERNELS,
} from '../src/index.js';
import { chooseSplits, chooseTile, gemmTuning } from '../src/webgpu/gemm.js';
import type { Pad } from './conv-cases.js';
import { data, relativeError, webgpuSkipReason } from './helpers.js';

const skipped = await webgpuSkipReason('webgpu.test.ts');

/** [x shape, filter shape, stride, padding]. */
type Case = [number[], number[], number | [number, number], Pad];

// 1×1, 3×3, 7×7; strides 1 and 2; same/valid/explicit; odd sizes; channel counts that are not
// multiples of the 64/128 tiles or of 4; shapes that get split-K and shapes that do not.
const CASES: Case[] = [
  [[2, 7, 8, 3], [3, 3, 3, 4], 1, 'same'],
  [[2, 7, 8, 3], [3, 3, 3, 4], 2, 'same'],
  [[2, 9, 9, 5], [3, 3, 5, 7], 1, 'valid'],
  [[2, 9, 9, 5], [3, 3, 5, 7], 2, 'valid'],
  [
    [3, 9, 7, 6],
    [3, 3, 6, 5],
    2,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  ],
  [
    [2, 7, 8, 3],
    [3, 2, 3, 4],
    [2, 3],
    [
      [0, 0],
      [2, 0],
      [0, 1],
      [0, 0],
    ],
  ],
  [[2, 9, 9, 5], [1, 1, 5, 6], 2, 'valid'],
  [[2, 6, 6, 70], [1, 1, 70, 33], 1, 'valid'],
  [[2, 11, 13, 3], [7, 7, 3, 10], 2, 'same'],
  [[2, 2, 3, 5], [3, 3, 5, 4], 2, 'same'],
  [[4, 8, 8, 36], [3, 3, 36, 130], 1, 'same'],
  [[2, 5, 5, 136], [1, 1, 136, 132], 1, 'same'],
  [[8, 16, 16, 16], [3, 3, 16, 24], 1, 'same'],
];

const label = ([x, w, s, p]: Case) =>
  `${x.join('×')} * ${w.join('×')}, stride ${s}, ${typeof p === 'string' ? p : JSON.stringify(p.slice(1, 3))}`;

/** Both gradients of one case through the kernels, on the current backend. */
async function gradients([xShape, wShape, strides, pad]: Case): Promise<
  [Float32Array, Float32Array]
> {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const x = tf.tensor4d(data(size(xShape), 1), xShape as [number, number, number, number]);
  const w = tf.tensor4d(data(size(wShape), 2), wShape as [number, number, number, number]);
  const y = tf.conv2d(x, w, strides, pad);
  const dy = tf.tensor(data(y.size, 3), y.shape);
  const common = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    ...common,
    filterShape: wShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, {
    ...common,
    inputShape: xShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const out: [Float32Array, Float32Array] = [
    (await dw.data()) as Float32Array,
    (await dx.data()) as Float32Array,
  ];
  tf.dispose([x, w, y, dy, dw, dx]);
  return out;
}

/** [x shape, filter shape [kh, kw, C, multiplier], stride, padding, dilation]. */
type DepthwiseCase = [number[], number[], number, 'same' | 'valid', number];

// Channel counts below and above the 64 channels of a workgroup; multipliers 1 and 2; dilation.
const DEPTHWISE: DepthwiseCase[] = [
  [[2, 7, 8, 4], [3, 3, 4, 1], 1, 'same', 1],
  [[2, 9, 9, 4], [3, 3, 4, 2], 2, 'valid', 1],
  [[2, 9, 8, 3], [3, 3, 3, 2], 1, 'same', 2],
  [[3, 10, 10, 70], [3, 3, 70, 1], 2, 'same', 1],
  [[2, 6, 7, 5], [5, 5, 5, 1], 1, 'same', 1],
];

/**
 * The depthwise filter gradient of one case, on the current backend. With `spread`, the
 * reference for a dilation d (tfjs's own kernels ignore dilation here): the undilated gradient
 * of the (k−1)·d+1 filter, at every d-th tap.
 */
async function depthwiseGradient(
  [xShape, wShape, stride, pad, dilation]: DepthwiseCase,
  spread = false,
) {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const x = tf.tensor4d(data(size(xShape), 6), xShape as [number, number, number, number]);
  const w = tf.tensor4d(data(size(wShape), 7), wShape as [number, number, number, number]);
  const y = tf.depthwiseConv2d(x, w, stride, pad, 'NHWC', dilation);
  const dy = tf.tensor(data(y.size, 8), y.shape);
  const [kh, kw, c, mul] = wShape as [number, number, number, number];
  const d = spread ? dilation : 1;
  const full = [(kh - 1) * d + 1, (kw - 1) * d + 1, c, mul];
  const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
    strides: stride,
    dilations: spread ? 1 : dilation,
    pad,
    dimRoundingMode: undefined,
    filterShape: full,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const taps = tf.stridedSlice(dw, [0, 0, 0, 0], full, [d, d, 1, 1]);
  const out = (await taps.data()) as Float32Array;
  tf.dispose([x, w, y, dy, dw, taps]);
  return out;
}

describe.skipIf(skipped != null)('SE Zoo webgpu kernels (Dawn)', () => {
  const reference = new Map<string, [Float32Array, Float32Array]>();
  const depthwiseReference: Float32Array[] = [];

  beforeAll(async () => {
    for (const c of CASES) reference.set(label(c), await gradients(c));
    for (const c of DEPTHWISE) depthwiseReference.push(await depthwiseGradient(c, true));
    await setBackend('webgpu', { quiet: true });
  });
  afterAll(async () => {
    gemmTuning.tile = 'auto';
    await tf.setBackend('cpu');
  });

  it('setBackend registers them', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(WEBGPU_KERNELS.map((k) => k.kernelName)).toEqual([
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
      'SEZooGroupedConv2D',
      'SEZooGroupedConv2DBackpropInput',
      'SEZooGroupedConv2DBackpropFilter',
      'SEZooSgdMomentum',
    ]);
  });

  it('split-K and tile choice', () => {
    expect(chooseTile(576, 64)).toEqual({ tm: 64, tn: 64 });
    expect(chooseTile(4608, 512)).toEqual({ tm: 128, tn: 128 });
    // 3×3, 64→64 at 56², batch 64: 9 tiles, K = 200,704 split 57 ways.
    expect(chooseSplits(576, 64, 64 * 56 * 56, { tm: 64, tn: 64 })).toBe(57);
    // A short K is never split below 16 steps of 16.
    expect(chooseSplits(36, 4, 2 * 7 * 8, { tm: 64, tn: 64 })).toBe(1);
  });

  // Every case on 64×64 tiles; a few on 128×128 tiles, whose shaders take lavapipe seconds to
  // compile (one per conv geometry).
  const BIG = new Set([10, 11]);
  for (const tile of ['64x64', '128x128'] as const) {
    describe(`tile ${tile}`, () => {
      beforeAll(() => {
        gemmTuning.tile = tile;
      });
      for (const c of CASES.filter((_, i) => tile === '64x64' || BIG.has(i))) {
        it(label(c), async () => {
          const [dw, dx] = await gradients(c);
          const [cpuDw, cpuDx] = reference.get(label(c)) as [Float32Array, Float32Array];
          expect(relativeError(dw, cpuDw), 'filter gradient').toBeLessThan(1e-4);
          expect(relativeError(dx, cpuDx), 'input gradient').toBeLessThan(1e-4);
        });
      }
    });
  }

  DEPTHWISE.forEach((c, i) => {
    const [x, w, stride, pad, dilation] = c;
    it(`depthwise filter gradient, ${x.join('×')} * ${w.join('×')}, stride ${stride}, ${pad}, dilation ${dilation}`, async () => {
      const ours = await depthwiseGradient(c);
      expect(relativeError(ours, depthwiseReference[i] as Float32Array)).toBeLessThan(1e-4);
    });
  });

  it('split-K sums the partial products (a long K, forced into many splits)', async () => {
    gemmTuning.tile = 'auto';
    const c: Case = [[8, 16, 16, 16], [3, 3, 16, 24], 1, 'same'];
    const previous = gemmTuning.minStepsPerSplit;
    gemmTuning.minStepsPerSplit = 1;
    try {
      const [dw] = await gradients(c);
      const [cpuDw] = reference.get(label(c)) as [Float32Array, Float32Array];
      expect(chooseSplits(144, 24, 2048, { tm: 64, tn: 64 })).toBe(128);
      expect(relativeError(dw, cpuDw)).toBeLessThan(1e-4);
    } finally {
      gemmTuning.minStepsPerSplit = previous;
    }
  });

  it('training gradients through tf.grads match cpu, and unregistering restores stock', async () => {
    const xs = data(2 * 9 * 9 * 8, 4);
    const ws = data(3 * 3 * 8 * 12, 5);
    const run = async () => {
      const x = tf.tensor4d(xs, [2, 9, 9, 8]);
      const w = tf.tensor4d(ws, [3, 3, 8, 12]);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))),
      )([x, w]);
      const out = [(await gx?.data()) as Float32Array, (await gw?.data()) as Float32Array];
      tf.dispose([x, w, gx, gw]);
      return out;
    };
    const ours = await run();
    unregisterWebGPUKernels();
    const stock = await run();
    registerWebGPUKernels();
    await tf.setBackend('cpu');
    const cpu = await run();
    await tf.setBackend('webgpu');
    ours.forEach((g, i) => {
      expect(relativeError(g, cpu[i] as Float32Array)).toBeLessThan(1e-4);
      expect(relativeError(stock[i] as Float32Array, cpu[i] as Float32Array)).toBeLessThan(1e-4);
    });
  });
});
