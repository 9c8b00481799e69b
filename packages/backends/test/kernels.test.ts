// Every kernel SE Zoo registers on wasm gives the cpu backend's values and gradients.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConvMethod, convMethods } from '../src/wasm/conv.js';
import { CONVS, label } from './conv-cases.js';
import { expectSameAsCpu, inputs, relativeError, useWasm } from './helpers.js';

beforeAll(useWasm);
afterAll(async () => {
  await tf.setBackend('cpu');
});

/** The dilated filter written out with zeros: what a dilated convolution computes. */
const spread = (w: tf.Tensor, d: number) => {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const padded = tf.pad(tf.reshape(w, [kh, 1, kw, 1, ci, co]), [
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(padded, [kh * d, kw * d, ci, co]),
    [0, 0, 0, 0],
    [(kh - 1) * d + 1, (kw - 1) * d + 1, ci, co],
  );
};

describe('convolution gradients (Conv2DBackpropInput, Conv2DBackpropFilter) and forward', () => {
  for (const method of ['native', 'xnnpack', 'conv', 'gemm', 'gemmT'] as ConvMethod[]) {
    describe(`method ${method}`, () => {
      beforeAll(() => {
        convMethods.forward = method;
        convMethods.input = method;
        convMethods.filter = method;
      });
      afterAll(() => {
        convMethods.forward = 'auto';
        convMethods.input = 'auto';
        convMethods.filter = 'auto';
      });
      for (const c of CONVS) {
        it(label(c), async () => {
          const [xShape, wShape, strides, pad] = c;
          await expectSameAsCpu(
            (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, pad),
            [xShape, wShape],
          );
        });
      }
    });
  }

  it('the fused convolution with bias and ReLU (as Layers runs it) stays exact', async () => {
    await expectSameAsCpu(
      (x, w, b) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: b,
          activation: 'relu',
        }),
      [[2, 1, 1, 5], [3, 3, 5, 4], [4]],
    );
  });

  for (const pad of ['same', 'valid'] as const) {
    it(`dilation 2, ${pad}: gradients exist (tfjs refuses them) and are right`, async () => {
      await expectSameAsCpu(
        (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, pad, 'NHWC', 2),
        [
          [2, 9, 8, 3],
          [3, 3, 3, 4],
        ],
        1e-4,
        // Reference: the undilated convolution with the spread filter, on stock gradients.
        (x, w) => tf.conv2d(x as tf.Tensor4D, spread(w, 2) as tf.Tensor4D, 1, pad),
      );
    });
  }
});

describe('depthwise convolution gradients (missing from stock wasm)', () => {
  const CASES: [number[], number[], number, 'same' | 'valid', number][] = [
    [[2, 7, 8, 4], [3, 3, 4, 1], 1, 'same', 1],
    [[2, 7, 8, 4], [3, 3, 4, 2], 1, 'same', 1],
    [[2, 9, 9, 4], [3, 3, 4, 1], 2, 'valid', 1],
    [[2, 9, 9, 4], [3, 3, 4, 2], 2, 'same', 1],
    [[2, 9, 8, 3], [3, 3, 3, 1], 1, 'same', 2],
    [[2, 9, 8, 3], [3, 3, 3, 2], 1, 'valid', 2],
    [[2, 1, 1, 3], [3, 3, 3, 2], 1, 'same', 1],
  ];
  for (const [xShape, wShape, stride, pad, dilation] of CASES) {
    it(`${xShape.join('×')}, multiplier ${wShape[3]}, stride ${stride}, ${pad}, dilation ${dilation}`, async () => {
      await expectSameAsCpu(
        (x, w) =>
          tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad, 'NHWC', dilation),
        [xShape, wShape],
        1e-4,
        // Reference: the undilated convolution with the spread filter, on stock gradients.
        (x, w) =>
          tf.depthwiseConv2d(x as tf.Tensor4D, spread(w, dilation) as tf.Tensor4D, stride, pad),
      );
    });
  }
});

describe('pooling gradients', () => {
  const CASES: [number[], number, number, 'same' | 'valid'][] = [
    [[2, 8, 8, 3], 2, 2, 'valid'],
    [[2, 9, 9, 3], 3, 2, 'valid'],
    [[2, 9, 9, 3], 3, 2, 'same'],
    [[2, 7, 6, 3], 3, 1, 'same'],
    [[2, 5, 5, 3], 1, 2, 'valid'],
  ];
  for (const [shape, size, stride, pad] of CASES) {
    it(`max pool ${size}/${stride} ${pad} on ${shape.join('×')}, with ties after a ReLU`, async () => {
      // relu(x) has many exact zeros, so windows tie; tfjs sends the gradient to the first.
      await expectSameAsCpu(
        (x) => tf.maxPool(tf.relu(x) as tf.Tensor4D, size, stride, pad),
        [shape],
      );
    });
    it(`average pool ${size}/${stride} ${pad} on ${shape.join('×')}`, async () => {
      await expectSameAsCpu((x) => tf.avgPool(x as tf.Tensor4D, size, stride, pad), [shape]);
    });
  }
});

describe('batch norm with batch statistics (the BatchNorm layer in training)', () => {
  it('moments + batchNorm: every gradient as on cpu', async () => {
    await expectSameAsCpu(
      (x, gamma, beta) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm(x, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5);
      },
      [[4, 5, 6, 7], [7], [7]],
    );
  });
  it('with fixed statistics', async () => {
    // (Without scale or offset, tfjs 4.22 cannot record batchNorm for gradients on any backend.)
    await expectSameAsCpu(
      (x, mean, variance, beta, gamma) =>
        tf.batchNorm(
          x,
          mean as tf.Tensor1D,
          tf.add(tf.abs(variance), 0.5) as tf.Tensor1D,
          beta as tf.Tensor1D,
          gamma as tf.Tensor1D,
        ),
      [[2, 3, 4, 5], [5], [5], [5], [5]],
    );
  });
});

describe('products, tiles and copies', () => {
  it('matMul with transposed operands, 2-D and batched', async () => {
    for (const [ta, tb] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      await expectSameAsCpu(
        (a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor, ta, tb),
        [ta ? [6, 5] : [5, 6], tb ? [7, 6] : [6, 7]],
      );
      await expectSameAsCpu(
        (a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor, ta, tb),
        [ta ? [3, 6, 5] : [3, 5, 6], tb ? [3, 7, 6] : [3, 6, 7]],
      );
    }
  });
  it('a dense layer with bias and ReLU (fused matMul)', async () => {
    await expectSameAsCpu(
      (a, b, bias) =>
        tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' }),
      [[5, 6], [6, 7], [7]],
    );
  });
  it('tile, float32 and int32, any rank', () => {
    const cases: [number[], number[]][] = [
      [[3], [4]],
      [
        [1, 1, 1, 5],
        [2, 3, 4, 1],
      ],
      [
        [2, 3],
        [3, 2],
      ],
      [
        [2, 1, 3],
        [1, 4, 2],
      ],
    ];
    for (const [shape, reps] of cases) {
      const [x] = inputs([shape]);
      const values = x?.values ?? new Float32Array();
      const wasm = tf.tile(tf.tensor(values, shape), reps).dataSync();
      const ints = Int32Array.from(values, (v) => Math.round(v * 100));
      const wasmInt = tf.tile(tf.tensor(ints, shape, 'int32'), reps).dataSync();
      // Reference by index arithmetic.
      const out = shape.map((d, i) => d * (reps[i] ?? 1));
      const expected = new Float32Array(out.reduce((a, b) => a * b, 1));
      const strides = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
      const so = strides(out);
      const si = strides(shape);
      for (let k = 0; k < expected.length; k++) {
        let src = 0;
        for (let a = 0; a < out.length; a++) {
          const coord = Math.floor(k / (so[a] ?? 1)) % (out[a] ?? 1);
          src += (coord % (shape[a] ?? 1)) * (si[a] ?? 1);
        }
        expected[k] = values[src] ?? 0;
      }
      expect(relativeError(wasm, expected)).toBe(0);
      expect(Array.from(wasmInt)).toEqual(Array.from(expected, (v) => Math.round(v * 100)));
    }
  });
  it('slice, float32 and int32, any rank: the values of index arithmetic', () => {
    const cases: [number[], number[], number[]][] = [
      [[7], [2], [3]],
      [
        [2, 30, 30, 16],
        [0, 1, 1, 0],
        [2, 28, 28, 16],
      ],
      [
        [3, 4, 5],
        [1, 0, 2],
        [2, 4, 3],
      ],
      [
        [3, 4, 5],
        [0, 1, 0],
        [3, 2, 5],
      ],
      [
        [2, 3, 4, 5],
        [1, 1, 1, 1],
        [1, 2, 3, 4],
      ],
      [
        [4, 6],
        [0, 0],
        [4, 6],
      ],
      [
        [2, 3, 4],
        [0, 0, 0],
        [-1, 2, -1],
      ],
    ];
    for (const [shape, begin, size] of cases) {
      const [x] = inputs([shape]);
      const values = x?.values ?? new Float32Array();
      const ints = Int32Array.from(values, (v) => Math.round(v * 1000));
      const wasm = tf.slice(tf.tensor(values, shape), begin, size);
      const wasmInt = tf.slice(tf.tensor(ints, shape, 'int32'), begin, size).dataSync();
      const out = wasm.shape;
      const strides = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
      const so = strides(out);
      const si = strides(shape);
      const expected = new Float32Array(wasm.size);
      for (let k = 0; k < expected.length; k++) {
        let src = 0;
        for (let a = 0; a < out.length; a++) {
          const coord = Math.floor(k / (so[a] ?? 1)) % (out[a] ?? 1);
          src += (coord + (begin[a] ?? 0)) * (si[a] ?? 1);
        }
        expected[k] = values[src] ?? 0;
      }
      expect(Array.from(wasm.dataSync())).toEqual(Array.from(expected));
      expect(Array.from(wasmInt)).toEqual(Array.from(expected, (v) => Math.round(v * 1000) | 0));
    }
  });
  it('clone shares data safely: disposing either copy leaves the other intact', () => {
    const a = tf.tensor([1, 2, 3]);
    const b = tf.clone(a);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    const c = tf.clone(b);
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
  });
});
