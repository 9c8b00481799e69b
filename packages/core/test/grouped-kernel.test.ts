// groupedConv2d's method 'kernel': a custom tfjs kernel where the backend registers one (only
// @se/backends does, on webgpu, tested there), else the backend's composite method. Here on cpu:
// the fallback, and the wiring (attributes, gradient kernels) through stand-in cpu kernels.
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GROUPED_CONV_BACKPROP_FILTER_KERNEL,
  GROUPED_CONV_BACKPROP_INPUT_KERNEL,
  GROUPED_CONV_KERNEL,
  groupedConv2d,
  groupedConvMethods,
} from '../src/index.js';

const KERNELS = [
  GROUPED_CONV_KERNEL,
  GROUPED_CONV_BACKPROP_INPUT_KERNEL,
  GROUPED_CONV_BACKPROP_FILTER_KERNEL,
];

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

describe("groupedConv2d method 'kernel'", () => {
  afterEach(() => {
    for (const name of KERNELS) if (tf.getKernel(name, 'cpu')) tf.unregisterKernel(name, 'cpu');
  });

  it('falls back to the composite method where the kernel is not registered', () => {
    expect(KERNELS.map((name) => tf.getKernel(name, 'cpu'))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const x = tf.randomNormal([2, 7, 6, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, 2, 12], 0, 1, 'float32', 2) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 4, 3, 12], 0, 1, 'float32', 3);
    const f = (method: 'kernel' | 'groupMajor') => (xi: tf.Tensor, ki: tf.Tensor) =>
      groupedConv2d(xi as tf.Tensor4D, ki as tf.Tensor4D, 4, [2, 2], 'same', [1, 1], method);
    expect(maxDiff(f('kernel')(x, k), f('groupMajor')(x, k))).toBeLessThan(1e-5);
    const [dx, dk] = tf.grads(f('kernel'))([x, k], dy);
    const [dxRef, dkRef] = tf.grads(f('groupMajor'))([x, k], dy);
    expect(maxDiff(dx as tf.Tensor, dxRef as tf.Tensor)).toBeLessThan(1e-4);
    expect(maxDiff(dk as tf.Tensor, dkRef as tf.Tensor)).toBeLessThan(1e-4);
  });

  it("falls back to a composite method when the backend's own entry is 'kernel'", () => {
    const saved = { ...groupedConvMethods };
    try {
      groupedConvMethods.cpu = 'kernel';
      const x = tf.randomNormal([1, 5, 5, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
      const k = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
      const ours = groupedConv2d(x, k, 2, [1, 1], 'valid', [1, 1]);
      const composite = groupedConv2d(x, k, 2, [1, 1], 'valid', [1, 1], 'groupMajor');
      expect(maxDiff(ours, composite)).toBeLessThan(1e-5);
    } finally {
      Object.assign(groupedConvMethods, saved);
    }
  });

  it('runs the registered kernel, and its gradient runs the two backprop kernels', () => {
    const seen: Record<string, tf.NamedAttrMap> = {};
    // Stand-ins that fill their output with a marker value: 7 (forward), 1 (dx), 2 (dfilter).
    const fill = (name: string, value: number, shape: (attrs: tf.NamedAttrMap) => number[]) =>
      tf.registerKernel({
        kernelName: name,
        backendName: 'cpu',
        kernelFunc: ({ backend, attrs }) => {
          seen[name] = attrs as tf.NamedAttrMap;
          const s = shape(attrs as tf.NamedAttrMap);
          const values = new Float32Array(tf.util.sizeFromShape(s)).fill(value);
          return (
            backend as tf.KernelBackend & {
              makeTensorInfo(
                shape: number[],
                dtype: tf.DataType,
                values: Float32Array,
              ): tf.TensorInfo;
            }
          ).makeTensorInfo(s, 'float32', values);
        },
      });
    fill(GROUPED_CONV_KERNEL, 7, () => [1, 2, 3, 6]);
    fill(GROUPED_CONV_BACKPROP_INPUT_KERNEL, 1, (a) => a.inputShape as number[]);
    fill(GROUPED_CONV_BACKPROP_FILTER_KERNEL, 2, (a) => a.filterShape as number[]);
    const x = tf.ones([1, 5, 5, 4]) as tf.Tensor4D;
    const k = tf.ones([3, 3, 2, 6]) as tf.Tensor4D;
    const f = (xi: tf.Tensor, ki: tf.Tensor) =>
      groupedConv2d(xi as tf.Tensor4D, ki as tf.Tensor4D, 2, [2, 1], 'valid', [1, 1], 'kernel');
    expect(Array.from(f(x, k).dataSync())).toEqual(new Array(36).fill(7));
    expect(seen[GROUPED_CONV_KERNEL]).toEqual({
      groups: 2,
      strides: [2, 1],
      pad: 'valid',
      dilations: [1, 1],
    });
    const [dx, dk] = tf.grads(f)([x, k]);
    expect(Array.from((dx as tf.Tensor).dataSync())).toEqual(new Array(100).fill(1));
    expect(Array.from((dk as tf.Tensor).dataSync())).toEqual(new Array(108).fill(2));
    expect(seen[GROUPED_CONV_BACKPROP_INPUT_KERNEL]).toMatchObject({
      groups: 2,
      strides: [2, 1],
      inputShape: [1, 5, 5, 4],
    });
    expect(seen[GROUPED_CONV_BACKPROP_FILTER_KERNEL]).toMatchObject({
      pad: 'valid',
      dilations: [1, 1],
      filterShape: [3, 3, 2, 6],
    });
  });
});
