// SE Zoo's per-channel wasm kernels (FusedBatchNorm, broadcasting Multiply/Add/Sub as a 1×1
// depthwise convolution) give the cpu backend's values, take the fast path where they should
// and leak nothing.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stockKernels } from '../src/wasm/context.js';
import { data, expectSameAsCpu, relativeError, useWasm } from './helpers.js';

beforeAll(useWasm);
afterAll(async () => {
  vi.restoreAllMocks();
  await tf.setBackend('cpu');
});

/** Runs `f` on fixed inputs of `shapes` on a backend; returns the output values. */
async function valuesOn(
  backend: 'cpu' | 'wasm',
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  shapes: number[][],
): Promise<Float32Array> {
  if (backend === 'wasm') await useWasm();
  else await tf.setBackend('cpu');
  return tf.tidy(() => {
    const xs = shapes.map((s, i) =>
      tf.tensor(
        data(
          s.reduce((a, b) => a * b, 1),
          7 + i,
        ),
        s,
      ),
    );
    return f(...xs).dataSync() as Float32Array;
  });
}

/**
 * Expects `f` to give the cpu backend's values on wasm, with no tensor left behind, and to run
 * the stock wasm kernel `via` underneath (the fast path) exactly when `fast`. `via` is a
 * kernel name, or a stock kernel SE Zoo replaced and a test of the inputs it gets.
 */
async function expectLikeCpu(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  shapes: number[][],
  fast: boolean,
  via: string | [string, (inputs: tf.NamedTensorInfoMap) => boolean] = 'FusedDepthwiseConv2D',
  tolerance = 2e-6,
): Promise<void> {
  const cpu = await valuesOn('cpu', f, shapes);
  await useWasm();
  const viaKernel = typeof via === 'string' ? via : via[0];
  const config = typeof via === 'string' ? tf.getKernel(via, 'wasm') : stockKernels.get(viaKernel);
  if (!config) throw new Error(`no wasm kernel ${viaKernel}`);
  const spy = vi.spyOn(config, 'kernelFunc');
  const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
  const wasm = await valuesOn('wasm', f, shapes);
  expect({ tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() }).toEqual(
    before,
  );
  const calls = spy.mock.calls.filter(
    ([args]) => typeof via === 'string' || via[1](args.inputs),
  ).length;
  expect(calls > 0, `ran ${viaKernel}`).toBe(fast);
  spy.mockRestore();
  expect(relativeError(wasm, cpu)).toBeLessThanOrEqual(tolerance);
}

/** Positive variances from random data in [-1, 1). */
const positive = (v: tf.Tensor) => tf.add(tf.abs(v), 0.25);

describe('FusedBatchNorm (tf.batchNorm) as x·scale + shift in one XNNPACK pass', () => {
  const cases: [string, number[], boolean][] = [
    ['32×32 maps, 16 channels', [4, 32, 32, 16], true],
    ['C = 7 (not a multiple of 4)', [2, 24, 24, 7], true],
    ['C = 13, odd spatial size', [3, 13, 11, 13], true],
    ['C = 1', [2, 48, 48, 1], true],
    ['a small map (stock kernel)', [2, 4, 4, 5], false],
  ];
  for (const [name, shape, fast] of cases) {
    const C = shape[3] as number;
    it(`${name}: with offset and scale`, async () => {
      await expectLikeCpu(
        (x, m, v, beta, gamma) =>
          tf.batchNorm(
            x as tf.Tensor4D,
            m as tf.Tensor1D,
            positive(v) as tf.Tensor1D,
            beta as tf.Tensor1D,
            gamma as tf.Tensor1D,
            1e-5,
          ),
        [shape, [C], [C], [C], [C]],
        fast,
      );
    });
  }
  it('without offset or scale, default epsilon', async () => {
    await expectLikeCpu(
      (x, m, v) => tf.batchNorm(x as tf.Tensor4D, m as tf.Tensor1D, positive(v) as tf.Tensor1D),
      [[2, 16, 16, 12], [12], [12]],
      true,
    );
  });
  it('with scale only, and with offset only', async () => {
    const shapes = [[2, 16, 16, 12], [12], [12], [12]];
    await expectLikeCpu(
      (x, m, v, g) => tf.batchNorm(x, m, positive(v), undefined, g as tf.Tensor1D),
      shapes,
      true,
    );
    await expectLikeCpu(
      (x, m, v, b) => tf.batchNorm(x, m, positive(v), b as tf.Tensor1D),
      shapes,
      true,
    );
  });
  it('statistics of shape [1, 1, 1, C], epsilon 0', async () => {
    await expectLikeCpu(
      (x, m, v, b, g) => tf.batchNorm(x, m, positive(v), b, g, 0),
      [
        [2, 24, 24, 6],
        [1, 1, 1, 6],
        [1, 1, 1, 6],
        [1, 1, 1, 6],
        [1, 1, 1, 6],
      ],
      true,
    );
  });
  it('rank 2 and rank 3 inputs (reshaped to rank 4 by tf.batchNorm)', async () => {
    await expectLikeCpu(
      (x, m, v, b, g) => tf.batchNorm(x, m, positive(v), b, g, 1e-3),
      [[700, 9], [9], [9], [9], [9]],
      true,
    );
    await expectLikeCpu(
      (x, m, v, b, g) => tf.batchNorm(x, m, positive(v), b, g, 1e-3),
      [[30, 20, 10], [10], [10], [10], [10]],
      true,
    );
    // Small rank-2 input (a dense layer's batch norm): the stock kernel.
    await expectLikeCpu(
      (x, m, v, b, g) => tf.batchNorm(x, m, positive(v), b, g, 1e-3),
      [[8, 9], [9], [9], [9], [9]],
      false,
    );
  });
  it('statistics that are not per channel go to the stock kernel', async () => {
    await expectLikeCpu(
      (x, m, v) => tf.batchNorm(x, m, positive(v)),
      [
        [2, 16, 16, 8],
        [1, 16, 16, 8],
        [1, 16, 16, 8],
      ],
      false,
    );
  });
  it('gradients through tf.batchNorm as on cpu', async () => {
    await expectSameAsCpu(
      (x, m, v, b, g) =>
        tf.batchNorm(
          x,
          m as tf.Tensor1D,
          positive(v) as tf.Tensor1D,
          b as tf.Tensor1D,
          g as tf.Tensor1D,
        ),
      [[2, 16, 16, 8], [8], [8], [8], [8]],
      1e-5,
    );
  });
  it('NaN and infinity in the input come out as on cpu', async () => {
    await useWasm();
    const x = tf.tidy(() => {
      const values = data(2 * 16 * 16 * 8, 3);
      values[5] = Number.NaN;
      values[17] = Number.POSITIVE_INFINITY;
      return tf.tensor4d(values, [2, 16, 16, 8]);
    });
    const y = tf.tidy(() => tf.batchNorm(x, tf.zeros([8]), tf.ones([8])).dataSync());
    expect(y[5]).toBeNaN();
    expect(y[17]).toBe(Number.POSITIVE_INFINITY);
    // Statistics with NaN (a diverged model) give NaN where the stock kernel does.
    const z = tf.tidy(() =>
      tf
        .batchNorm(
          tf.ones([2, 16, 16, 8]),
          tf.tensor1d([Number.NaN, 0, 0, 0, 0, 0, 0, 0]),
          tf.ones([8]),
        )
        .dataSync(),
    );
    expect(z[0]).toBeNaN();
    expect(z[1]).toBeCloseTo(1 / Math.sqrt(1.001), 6);
    x.dispose();
  });
});

describe('broadcasting Multiply, Add and Sub of a map and a per-channel operand', () => {
  const ops: [string, string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['mul', 'Multiply', tf.mul],
    ['add', 'Add', tf.add],
    ['sub', 'Sub', tf.sub],
  ];
  for (const [name, kernel, op] of ops) {
    /** The stock kernel run on two operands of one shape: the operand was tiled. */
    const tiled: [string, (inputs: tf.NamedTensorInfoMap) => boolean] = [
      kernel,
      ({ a, b }) => a?.shape.join() === b?.shape.join(),
    ];
    const check = (
      f: (x: tf.Tensor, v: tf.Tensor) => tf.Tensor,
      shapes: number[][],
      fast: boolean,
    ) => expectLikeCpu(f, shapes, fast, tiled, 0);
    /** SE Zoo's WebAssembly kernel: no stock kernel runs at all, same values. */
    const native = (f: (x: tf.Tensor, v: tf.Tensor) => tf.Tensor, shapes: number[][]) =>
      expectLikeCpu(f, shapes, false, [kernel, () => true], 0);
    it(`${name}: channels in fours, SE Zoo's kernel in one pass: [C], [1, 1, 1, C], rank 2`, async () => {
      await native((x, v) => op(x, v), [[4, 24, 24, 12], [12]]);
      await native((x, v) => op(v, x), [[2, 16, 16, 32], [32]]);
      await native((x, v) => op(x, v), [[1, 16, 32, 64], [64]]);
      await native(
        (x, v) => op(x, v),
        [
          [2, 32, 32, 16],
          [1, 1, 1, 16],
        ],
      );
      await native((x, v) => op(v, x), [[4096, 8], [8]]);
    });
    it(`${name}: per-sample gate [N, 1, 1, C], either side, SE Zoo's kernel`, async () => {
      for (const [x, s] of [
        [0, 1],
        [1, 0],
      ] as const) {
        await native(
          (...t) => op(t[x] as tf.Tensor, t[s] as tf.Tensor),
          [
            [8, 32, 32, 16],
            [8, 1, 1, 16],
          ],
        );
      }
    });
    it(`${name}: other channel counts: the operand tiled, then the stock kernel`, async () => {
      await check((x, v) => op(x, v), [[4, 24, 24, 13], [13]], true);
      await check((x, v) => op(v, x), [[4096, 10], [10]], true);
      await check(
        (x, s) => op(s, x),
        [
          [8, 32, 32, 7],
          [8, 1, 1, 7],
        ],
        true,
      );
    });
    it(`${name}: stock kernel for wide odd channels, small maps, other broadcasts`, async () => {
      await check((x, v) => op(x, v), [[1, 16, 32, 66], [66]], false);
      await check((x, v) => op(x, v), [[2, 8, 8, 16], [16]], false);
      await check(
        (x, v) => op(x, v),
        [
          [2, 32, 32, 16],
          [2, 32, 32, 1],
        ],
        false,
      );
    });
  }
  it('NaN in the map comes out as on cpu', async () => {
    await useWasm();
    const y = tf.tidy(() => {
      const values = data(2 * 32 * 32 * 16, 3);
      values[5] = Number.NaN;
      return tf.mul(tf.tensor4d(values, [2, 32, 32, 16]), tf.ones([16])).dataSync();
    });
    expect(y[5]).toBeNaN();
  });
  it('int32 maps keep the stock kernel', async () => {
    await useWasm();
    const y = tf.tidy(() =>
      tf
        .mul(tf.ones([2, 32, 32, 16], 'int32'), tf.range(0, 16, 1, 'int32'))
        .sum()
        .dataSync(),
    );
    expect(y[0]).toBe(2 * 32 * 32 * 120);
  });
});
