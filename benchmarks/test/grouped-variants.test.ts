// The grouped-convolution ways the benchmarks time: every variant and @se/core's methods give the
// by-hand split's forward pass and both gradients on cpu (padding 'same' at stride 2 and a
// dilation included: tfjs's own convolutions have no gradient when dilated, so only 'gemm' is
// differentiated there), and 'gemm' at a stride keeps its gradients on webgpu (any adapter: in
// CI, Dawn on Mesa's lavapipe; skipped, saying why, without one).
import { setBackend } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  GROUPED_CONV_VARIANTS,
  GROUPED_CONV_WAYS,
  type GroupedConvWay,
  groupedConvBy,
} from '../src/grouped-variants.js';
import { relativeError, webgpuSkipReason } from './helpers.js';

const CASES = [
  { c: 8, out: 12, groups: 4, strides: [1, 1], padding: 'valid', dilations: [1, 1] },
  { c: 8, out: 8, groups: 2, strides: [2, 2], padding: 'same', dilations: [1, 1] },
  { c: 6, out: 6, groups: 3, strides: [2, 1], padding: 'valid', dilations: [1, 1] },
  { c: 4, out: 8, groups: 2, strides: [1, 1], padding: 'same', dilations: [2, 2] },
] as const;

/** y, dL/dx and dL/dk of one case computed `way` (or by hand, per group, for `'reference'`). */
async function outputs(
  way: GroupedConvWay | 'reference',
  index: number,
  gradients = true,
): Promise<Float32Array[]> {
  const { c, out, groups, strides, padding, dilations } = CASES[index] as (typeof CASES)[number];
  const s: [number, number] = [strides[0], strides[1]];
  const d: [number, number] = [dilations[0], dilations[1]];
  const tensors = tf.tidy(() => {
    const x = tf.randomNormal([2, 9, 8, c], 0, 1, 'float32', 4);
    const k = tf.randomNormal([3, 3, c / groups, out], 0, 1, 'float32', 5);
    const f = (xi: tf.Tensor, ki: tf.Tensor): tf.Tensor => {
      if (way !== 'reference') {
        return groupedConvBy(way, xi as tf.Tensor4D, ki as tf.Tensor4D, groups, s, padding, d);
      }
      const xs = tf.split(xi, groups, 3);
      const ks = tf.split(ki, groups, 3);
      return tf.concat(
        xs.map((xg, g) =>
          tf.conv2d(xg as tf.Tensor4D, ks[g] as tf.Tensor4D, s, padding, 'NHWC', d),
        ),
        3,
      );
    };
    const y = f(x, k);
    if (!gradients) return [y];
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 6);
    const [dx, dk] = tf.grads(f)([x, k], dy);
    return [y, dx as tf.Tensor, dk as tf.Tensor];
  });
  // Read asynchronously: webgpu has no synchronous read in Node.
  const data = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(tensors);
  return data;
}

describe('grouped-convolution ways on cpu', () => {
  it("lists every variant and @se/core's methods", () => {
    expect([...GROUPED_CONV_WAYS].sort()).toEqual(
      ['blockDiagonal', 'depthwise', 'gemm', 'groupMajor', 'kernel', 'split'].sort(),
    );
    expect(Object.keys(GROUPED_CONV_VARIANTS).sort()).toEqual(
      ['blockDiagonal', 'depthwise', 'gemm', 'split'].sort(),
    );
  });
  for (const way of GROUPED_CONV_WAYS) {
    it(`'${way}': forward and both gradients equal the by-hand split`, async () => {
      for (const [i, c] of CASES.entries()) {
        const dilated = c.dilations[0] > 1;
        // Only 'gemm' has a gradient through a dilation.
        const gradients = !dilated || way === 'gemm';
        const want = await outputs('reference', i, !dilated);
        const got = await outputs(way, i, gradients);
        expect(relativeError(got[0] as Float32Array, want[0] as Float32Array)).toBeLessThan(1e-4);
        if (!dilated) {
          for (const part of [1, 2]) {
            const error = relativeError(got[part] as Float32Array, want[part] as Float32Array);
            expect(error, `case ${i} gradient ${part}`).toBeLessThan(1e-4);
          }
        }
      }
    });
  }
});

const skipped = await webgpuSkipReason('grouped-variants.test.ts');

describe.skipIf(skipped != null)('grouped-convolution ways on webgpu (Dawn)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  it("'gemm' at a stride has the right gradients on webgpu (its slices stay 4-D)", async () => {
    const want = await outputs('reference', 1);
    await setBackend('webgpu', { quiet: true });
    const got = await outputs('gemm', 1);
    ['forward', 'input gradient', 'filter gradient'].forEach((part, i) => {
      const error = relativeError(got[i] as Float32Array, want[i] as Float32Array);
      expect(error, part).toBeLessThan(1e-4);
    });
  });
});
