// The tests of SE Zoo's own WebAssembly kernels (src/wasm/native), run once on tfjs's threaded
// wasm build (shared memory, worker threads) and once on its single-threaded build.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../src/backend.js';
import { sgdMomentumUpdate } from '../src/sgd.js';
import { asWasm } from '../src/wasm/context.js';
import { type ConvMethod, convMethods } from '../src/wasm/conv.js';
import { nativeKernels } from '../src/wasm/native/module.js';
import { CONVS, label, type Pad } from './conv-cases.js';
import { data, expectSameAsCpu, relativeError } from './helpers.js';

/** Convolutions big enough to be split over threads: by filter units, then by output rows. */
const SPLIT: [number[], number[], number, Pad][] = [
  [[4, 16, 16, 16], [3, 3, 16, 24], 1, 'same'],
  [[3, 17, 15, 13], [3, 3, 13, 21], 2, 'same'],
  [[8, 32, 32, 32], [1, 1, 32, 12], 1, 'valid'],
];

function pin(method: ConvMethod): void {
  convMethods.forward = method;
  convMethods.input = method;
  convMethods.filter = method;
}

/** Registers the suite for a wasm backend of `threads` threads. */
export function nativeSuite(threads: number): void {
  beforeAll(async () => {
    await setBackend('wasm', { threads, quiet: true });
    pin('native');
  });
  afterAll(async () => {
    pin('auto');
    await tf.setBackend('cpu');
  });

  it(`runs on this backend (${threads === 1 ? 'unshared memory' : `shared memory, ${threads} threads`})`, async () => {
    await setBackend('wasm', { threads, quiet: true });
    const kernels = nativeKernels(asWasm(tf.backend()));
    expect(kernels).not.toBeNull();
    expect(kernels?.shared).toBe(threads > 1);
    expect(kernels?.threads?.count ?? 1).toBe(threads);
    if (threads > 1) expect(kernels?.threads?.ready).toBe(true);
  });

  describe('convolution, its input and filter gradients equal the cpu backend’s', () => {
    for (const c of [...CONVS, ...SPLIT]) {
      it(label(c), async () => {
        const [xShape, wShape, strides, pad] = c;
        await expectSameAsCpu(
          (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, pad),
          [xShape, wShape],
        );
      });
    }
    it('dilation 2 and 3', async () => {
      for (const dilation of [2, 3]) {
        await expectSameAsCpu(
          (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', dilation),
          [
            [2, 9, 11, 6],
            [3, 3, 6, 10],
          ],
        );
      }
    });
  });

  describe('per-channel sums and means (batch-norm statistics, SE squeezes) equal the cpu backend’s', () => {
    // Channels: 16s, then 4s; large enough that two threads split rows (one slice) or slices.
    for (const [shape, axes] of [
      [
        [64, 28, 28, 20],
        [0, 1, 2],
      ],
      [
        [64, 14, 14, 12],
        [1, 2],
      ],
      [
        [3, 5, 7, 16],
        [1, 2],
      ],
      [
        [2, 9, 9, 36],
        [0, 1, 2],
      ],
    ] as [number[], number[]][]) {
      it(`${shape.join('×')} over axes ${axes.join(',')}`, async () => {
        const f = (x: tf.Tensor) => tf.add(tf.sum(x, axes), tf.mul(tf.mean(x, axes, true), 3));
        const values = async (backend: string) => {
          if (backend === 'wasm') await setBackend('wasm', { threads, quiet: true });
          else await tf.setBackend(backend);
          const x = tf.tensor(
            data(
              shape.reduce((a, b) => a * b, 1),
              7,
            ),
            shape,
          );
          const y = f(x);
          const out = await y.data();
          tf.dispose([x, y]);
          return out as Float32Array;
        };
        expect(relativeError(await values('wasm'), await values('cpu'))).toBeLessThan(1e-6);
      });
    }
  });

  describe('SGD with momentum: the bits of the composite form on cpu, three steps', () => {
    // 600,000 elements are split over the threads; 1,001 and 3 leave a remainder after SIMD.
    for (const [size, weightDecay] of [
      [3, 0],
      [1001, 5e-4],
      [600_000, 1e-4],
    ] as const) {
      it(`${size} elements, weight decay ${weightDecay}`, async () => {
        const run = async (backend: string) => {
          if (backend === 'wasm') await setBackend('wasm', { threads, quiet: true });
          else await tf.setBackend(backend);
          let value = tf.tensor1d(data(size, 1));
          let velocity = tf.zeros([size]) as tf.Tensor1D;
          for (let step = 0; step < 3; step++) {
            const grad = tf.tensor1d(data(size, 10 + step));
            const next = sgdMomentumUpdate(value, velocity, grad, {
              learningRate: 0.1,
              momentum: 0.9,
              weightDecay,
            });
            tf.dispose([value, velocity, grad]);
            value = next.value;
            velocity = next.velocity;
          }
          const out = [await value.data(), await velocity.data()];
          tf.dispose([value, velocity]);
          return out;
        };
        const [wasmValue, wasmVelocity] = await run('wasm');
        const [cpuValue, cpuVelocity] = await run('cpu');
        expect(Array.from(wasmValue as Float32Array)).toEqual(Array.from(cpuValue as Float32Array));
        expect(Array.from(wasmVelocity as Float32Array)).toEqual(
          Array.from(cpuVelocity as Float32Array),
        );
      });
    }
  });
}
