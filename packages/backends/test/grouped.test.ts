// SE Zoo's grouped-convolution kernels on webgpu (@se/core's groupedConv2d method 'kernel'): the
// forward pass and both gradients give the cpu backend's composite results. Like webgpu.test.ts,
// they run on any WebGPU adapter (in CI, Dawn on Mesa's lavapipe) and the file is skipped, saying
// why, without one.
import {
  GROUPED_CONV_BACKPROP_FILTER_KERNEL,
  GROUPED_CONV_BACKPROP_INPUT_KERNEL,
  GROUPED_CONV_KERNEL,
  type GroupedConvKernelAttrs,
  type GroupedConvMethod,
  groupedConv2d,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  registerWebGPUKernels,
  setBackend,
  unregisterWebGPUKernels,
  WEBGPU_KERNELS,
} from '../src/index.js';
import * as ours from '../src/webgpu/grouped.js';
import { data, relativeError, webgpuSkipReason } from './helpers.js';

const skipped = await webgpuSkipReason('grouped.test.ts');

type Explicit = [[0, 0], [number, number], [number, number], [0, 0]];

/** One grouped convolution: x [N, H, W, C], filter [kh, kw, C / groups, C_out]. */
interface Case {
  x: number[];
  filter: number[];
  groups: number;
  strides: [number, number];
  pad: 'valid' | 'same' | Explicit;
  dilations: [number, number];
}

// Groups of 1 to 4 channels (partial 4-channel blocks), ResNeXt's 32 groups of 4, 25 taps (the
// filter gradient's chunks of 9), enough pixels to split the filter gradient, odd sizes.
const CASES: Case[] = [
  {
    x: [2, 20, 20, 8],
    filter: [3, 3, 4, 8],
    groups: 2,
    strides: [1, 1],
    pad: 'same',
    dilations: [1, 1],
  },
  {
    x: [2, 9, 9, 8],
    filter: [3, 3, 2, 12],
    groups: 4,
    strides: [2, 2],
    pad: 'valid',
    dilations: [1, 1],
  },
  {
    x: [1, 9, 7, 64],
    filter: [3, 3, 2, 64],
    groups: 32,
    strides: [2, 2],
    pad: 'same',
    dilations: [1, 1],
  },
  {
    x: [2, 6, 5, 128],
    filter: [3, 3, 4, 128],
    groups: 32,
    strides: [1, 1],
    pad: 'same',
    dilations: [1, 1],
  },
  {
    x: [2, 8, 9, 12],
    filter: [3, 3, 3, 8],
    groups: 4,
    strides: [1, 1],
    pad: 'same',
    dilations: [2, 2],
  },
  {
    x: [2, 7, 10, 6],
    filter: [3, 2, 2, 9],
    groups: 3,
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
    dilations: [1, 1],
  },
  {
    x: [2, 6, 6, 64],
    filter: [1, 1, 4, 64],
    groups: 16,
    strides: [2, 2],
    pad: 'valid',
    dilations: [1, 1],
  },
  {
    x: [1, 9, 8, 4],
    filter: [5, 5, 2, 6],
    groups: 2,
    strides: [1, 1],
    pad: 'same',
    dilations: [1, 1],
  },
];

const label = (c: Case) =>
  `${c.x.join('×')} * ${c.filter.join('×')}, ${c.groups} groups, stride ${c.strides.join('×')}, ${typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad.slice(1, 3))}, dilation ${c.dilations.join('×')}`;

/**
 * The filter of a dilated convolution as the undilated one it equals: zeros between the taps
 * (`[(kh−1)·d+1, (kw−1)·d+1, …]`), made by differentiable ops (pad, reshape, slice), since tfjs's
 * own convolutions have no gradient when dilated.
 */
function dilatedFilter(w: tf.Tensor, [dh, dw]: [number, number]): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const spread = tf.pad(tf.reshape(w, [kh, 1, kw, 1, ci, co]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(spread, [kh * dh, kw * dw, ci, co]),
    [0, 0, 0, 0],
    [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co],
  ) as tf.Tensor4D;
}

/**
 * The output and the gradients of x and the filter for a fixed dy, on the current backend. The
 * composite reference pads explicitly itself (groupedConv2d takes 'valid' or 'same' only); with
 * a dilation it convolves with the filter spread out by {@link dilatedFilter}.
 */
async function run(c: Case, method: GroupedConvMethod): Promise<Float32Array[]> {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const x = tf.tensor(data(size(c.x), 11), c.x);
  const w = tf.tensor(data(size(c.filter), 12), c.filter);
  const f = (xi: tf.Tensor, wi: tf.Tensor): tf.Tensor => {
    if (method === 'kernel' && typeof c.pad !== 'string') {
      const attrs: GroupedConvKernelAttrs = { ...c, pad: c.pad };
      return tf.engine().runKernel(GROUPED_CONV_KERNEL, { x: xi, filter: wi }, {
        ...attrs,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    }
    const [padded, pad] =
      typeof c.pad === 'string' ? [xi, c.pad] : [tf.pad(xi, c.pad), 'valid' as const];
    if (method !== 'kernel' && c.dilations.some((d) => d > 1)) {
      const spread = dilatedFilter(wi, c.dilations);
      return groupedConv2d(padded as tf.Tensor4D, spread, c.groups, c.strides, pad, [1, 1], method);
    }
    return groupedConv2d(
      padded as tf.Tensor4D,
      wi as tf.Tensor4D,
      c.groups,
      c.strides,
      pad,
      c.dilations,
      method,
    );
  };
  const y = f(x, w);
  const dy = tf.tensor(data(y.size, 13), y.shape);
  const [dx, dw] = tf.grads(f)([x, w], dy);
  const out = await Promise.all(
    [y, dx, dw].map(async (t) => (await (t as tf.Tensor).data()) as Float32Array),
  );
  tf.dispose([x, w, y, dy, dx, dw]);
  return out;
}

describe.skipIf(skipped != null)('grouped convolution kernels on webgpu (Dawn)', () => {
  const reference = new Map<string, Float32Array[]>();

  beforeAll(async () => {
    for (const c of CASES) reference.set(label(c), await run(c, 'groupMajor'));
    await setBackend('webgpu', { quiet: true });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("are registered as added kernels under @se/core's names", () => {
    expect([
      ours.GROUPED_CONV_KERNEL,
      ours.GROUPED_CONV_BACKPROP_INPUT_KERNEL,
      ours.GROUPED_CONV_BACKPROP_FILTER_KERNEL,
    ]).toEqual([
      GROUPED_CONV_KERNEL,
      GROUPED_CONV_BACKPROP_INPUT_KERNEL,
      GROUPED_CONV_BACKPROP_FILTER_KERNEL,
    ]);
    const added = WEBGPU_KERNELS.filter(
      (k) => k.change === 'added' && k.kernelName.startsWith('SEZooGroupedConv2D'),
    ).map((k) => k.kernelName);
    expect(added).toEqual([
      GROUPED_CONV_KERNEL,
      GROUPED_CONV_BACKPROP_INPUT_KERNEL,
      GROUPED_CONV_BACKPROP_FILTER_KERNEL,
    ]);
    for (const name of added) expect(tf.getKernel(name, 'webgpu')).toBeDefined();
  });

  for (const c of CASES) {
    it(label(c), async () => {
      const got = await run(c, 'kernel');
      const want = reference.get(label(c)) as Float32Array[];
      ['forward', 'input gradient', 'filter gradient'].forEach((part, i) => {
        const error = relativeError(got[i] as Float32Array, want[i] as Float32Array);
        expect(error, part).toBeLessThan(1e-4);
      });
    });
  }

  it('name a group count that does not fit, and a dtype other than float32', () => {
    const run = (x: tf.Tensor, filter: tf.Tensor, groups: number) =>
      tf
        .engine()
        .runKernel(
          GROUPED_CONV_KERNEL,
          { x, filter },
          { groups, strides: [1, 1], pad: 'valid', dilations: [1, 1] },
        );
    const x = tf.zeros([1, 4, 4, 8]);
    const filter = tf.zeros([3, 3, 4, 8]);
    expect(() => run(x, filter, 3)).toThrow(
      'SE Zoo SEZooGroupedConv2D: groups 3 does not fit input channels 8 and filter 3×3×4×8 ([kh, kw, C_in / groups, C_out])',
    );
    const xi = tf.zeros([1, 4, 4, 8], 'int32');
    expect(() => run(xi, filter, 2)).toThrow('SE Zoo SEZooGroupedConv2D: float32 only, got int32');
    tf.dispose([x, filter, xi]);
  });

  it("unregistering removes them ('kernel' falls back), registering restores them", async () => {
    const c = CASES[1] as Case;
    const [refY] = reference.get(label(c)) as Float32Array[];
    unregisterWebGPUKernels();
    try {
      for (const name of [GROUPED_CONV_KERNEL, GROUPED_CONV_BACKPROP_INPUT_KERNEL]) {
        expect(tf.getKernel(name, 'webgpu')).toBeUndefined();
      }
      const [y] = await run(c, 'kernel');
      expect(relativeError(y as Float32Array, refY as Float32Array)).toBeLessThan(1e-4);
    } finally {
      registerWebGPUKernels();
    }
    expect(tf.getKernel(GROUPED_CONV_KERNEL, 'webgpu')).toBeDefined();
  });
});
