// The ways to compute a grouped convolution that the grouped-convolution benchmarks compare:
// @se/core's methods (`groupMajor` and `kernel`, the defaults of its `groupedConvMethods`) and
// four variants that lost on every backend measured and so live here, not in @se/core
// (benchmarks/grouped-conv/README.md has the figures). All give the same result and, through
// autodiff, the same gradients.
import { type GroupedConvMethod, groupedConv2d } from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** A grouped convolution of NHWC `x` with a `[kh, kw, C_in / g, C_out]` kernel. */
export type GroupedConvFunction = (
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  padding: 'valid' | 'same',
  dilations: [number, number],
) => tf.Tensor4D;

/**
 * The benchmark-only variants:
 * - `'split'`: split input and kernel into the groups, one convolution each, concatenate;
 * - `'blockDiagonal'`: one dense convolution whose `[kh, kw, C_in, C_out]` kernel is built from
 *   the grouped one on every call (zeros outside the diagonal blocks, by a broadcast product with
 *   a 0/1 mask, so the kernel's gradient is masked and only the blocks learn); g× the arithmetic
 *   in one large, well-vectorised convolution;
 * - `'depthwise'`: a depthwise convolution with channel multiplier C_out / g, each input channel
 *   feeding all outputs of its group, then a sum over the group's input channels (`'split'` where
 *   tfjs's depthwise convolution cannot take both a stride and a dilation);
 * - `'gemm'`: im2col by kh·kw shifted slices, then one batched matrix product over the groups
 *   (the only one with a gradient for dilated convolutions: tfjs's convolutions have none).
 */
export type GroupedConvVariant = 'split' | 'blockDiagonal' | 'depthwise' | 'gemm';

/** A way the benchmarks time: one of @se/core's methods or a {@link GroupedConvVariant}. */
export type GroupedConvWay = GroupedConvMethod | GroupedConvVariant;

/** The benchmark-only variants, by name. */
export const GROUPED_CONV_VARIANTS: Record<GroupedConvVariant, GroupedConvFunction> = {
  split: splitConv,
  blockDiagonal: blockDiagonalConv,
  depthwise: (x, kernel, groups, strides, padding, dilations) =>
    (strides[0] === 1 && strides[1] === 1) || dilations.every((d) => d === 1)
      ? depthwiseSumConv(x, kernel, groups, strides, padding, dilations)
      : splitConv(x, kernel, groups, strides, padding, dilations),
  gemm: groupedGemmConv,
};

/** Every way, in the benchmark tables' order (as the figures in the READMEs were first written). */
export const GROUPED_CONV_WAYS: readonly GroupedConvWay[] = [
  'split',
  'groupMajor',
  'blockDiagonal',
  'depthwise',
  'gemm',
  'kernel',
];

/**
 * A grouped convolution computed `way`: @se/core's `groupedConv2d` with that method, or the
 * variant (for groups > 1; one group is a plain convolution whatever the way).
 */
export function groupedConvBy(
  way: GroupedConvWay,
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  padding: 'valid' | 'same',
  dilations: [number, number],
): tf.Tensor4D {
  if (way in GROUPED_CONV_VARIANTS && groups > 1) {
    const variant = GROUPED_CONV_VARIANTS[way as GroupedConvVariant];
    return variant(x, kernel, groups, strides, padding, dilations);
  }
  return groupedConv2d(x, kernel, groups, strides, padding, dilations, way as GroupedConvMethod);
}

/** Split into the groups, one convolution each, concatenated. */
function splitConv(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  padding: 'valid' | 'same',
  dilations: [number, number],
): tf.Tensor4D {
  const xs = tf.split(x, groups, 3);
  const ks = tf.split(kernel, groups, 3);
  const ys = xs.map((xi, g) =>
    tf.conv2d(xi as tf.Tensor4D, ks[g] as tf.Tensor4D, strides, padding, 'NHWC', dilations),
  );
  return tf.concat(ys, 3);
}

/** One dense convolution with a block-diagonal kernel built from the grouped one. */
function blockDiagonalConv(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  padding: 'valid' | 'same',
  dilations: [number, number],
): tf.Tensor4D {
  const [kh, kw, groupIn, outChannels] = kernel.shape;
  const groupOut = outChannels / groups;
  // mask[g', o] = 1 where output channel o belongs to group g'.
  const mask = new Float32Array(groups * outChannels);
  for (let g = 0; g < groups; g++)
    mask.fill(1, g * outChannels + g * groupOut, g * outChannels + (g + 1) * groupOut);
  // dense[k, g', i, o] = kernel[k, i, o] · mask[g', o]: input channel g'·(C_in/g) + i.
  const dense = tf.mul(
    tf.reshape(kernel, [kh * kw, 1, groupIn, outChannels]),
    tf.tensor4d(mask, [1, groups, 1, outChannels]),
  );
  const full = tf.reshape(dense, [kh, kw, groups * groupIn, outChannels]) as tf.Tensor4D;
  return tf.conv2d(x, full, strides, padding, 'NHWC', dilations);
}

/** Depthwise convolution with multiplier C_out / g, then a sum over each group's inputs. */
function depthwiseSumConv(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  padding: 'valid' | 'same',
  dilations: [number, number],
): tf.Tensor4D {
  const [kh, kw, groupIn, outChannels] = kernel.shape;
  const groupOut = outChannels / groups;
  // depthwise[.., g·(C_in/g) + i, o] = kernel[.., i, g·(C_out/g) + o].
  const depthwise = tf.reshape(
    tf.transpose(tf.reshape(kernel, [kh, kw, groupIn, groups, groupOut]), [0, 1, 3, 2, 4]),
    [kh, kw, groups * groupIn, groupOut],
  ) as tf.Tensor4D;
  const y = tf.depthwiseConv2d(x, depthwise, strides, padding, 'NHWC', dilations);
  const [n, h, w] = y.shape;
  const summed = tf.sum(tf.reshape(y, [n * h * w, groups, groupIn, groupOut]), 2);
  return tf.reshape(summed, [n, h, w, outChannels]);
}

/** Zero padding `[before, after]` of tfjs's `'same'` along one axis. */
function samePadding(size: number, kernel: number, stride: number, dilation: number) {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number];
}

/** im2col by shifted slices, then one batched matrix product over the groups. */
function groupedGemmConv(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  padding: 'valid' | 'same',
  dilations: [number, number],
): tf.Tensor4D {
  const [kh, kw, groupIn, outChannels] = kernel.shape;
  const [n, height, width, channels] = x.shape;
  const [sh, sw] = strides;
  const [dh, dw] = dilations;
  const [top, bottom] = padding === 'same' ? samePadding(height, kh, sh, dh) : [0, 0];
  const [left, right] = padding === 'same' ? samePadding(width, kw, sw, dw) : [0, 0];
  const outH = Math.floor((height + top + bottom - dh * (kh - 1) - 1) / sh) + 1;
  const outW = Math.floor((width + left + right - dw * (kw - 1) - 1) / sw) + 1;
  // Extra rows/columns at the end let every strided window be cut as outH·sh rows, then
  // subsampled by a reshape and a slice (tfjs has no gradient for strided slices).
  const extraH = Math.max(0, dh * (kh - 1) + outH * sh - (height + top + bottom));
  const extraW = Math.max(0, dw * (kw - 1) + outW * sw - (width + left + right));
  const padded =
    top + bottom + left + right + extraH + extraW > 0
      ? tf.pad(x, [
          [0, 0],
          [top, bottom + extraH],
          [left, right + extraW],
          [0, 0],
        ])
      : x;
  const taps: tf.Tensor[] = [];
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      let tap: tf.Tensor = tf.slice(
        padded,
        [0, a * dh, b * dw, 0],
        [n, outH * sh, outW * sw, channels],
      );
      if (sh > 1 || sw > 1) {
        // Rows of phase 0 of each sh and the first C of each sw·C columns, in one 4-D slice
        // (a 6-D one's gradient is a 6-D pad, which tfjs-webgpu 4.22 cannot run).
        tap = tf.slice(
          tf.reshape(tap, [n * outH, sh, outW, sw * channels]),
          [0, 0, 0, 0],
          [n * outH, 1, outW, channels],
        );
      }
      taps.push(tf.reshape(tap, [n * outH * outW, 1, groups, groupIn]));
    }
  }
  const rows = n * outH * outW;
  const groupOut = outChannels / groups;
  // patches[g, m, (k, i)] and weights[g, (k, i), o]: one product per group.
  const patches = tf.reshape(tf.transpose(tf.concat(taps, 1), [2, 0, 1, 3]), [
    groups,
    rows,
    kh * kw * groupIn,
  ]) as tf.Tensor3D;
  const weights = tf.reshape(
    tf.transpose(tf.reshape(kernel, [kh * kw, groupIn, groups, groupOut]), [2, 0, 1, 3]),
    [groups, kh * kw * groupIn, groupOut],
  ) as tf.Tensor3D;
  const y = tf.matMul(patches, weights);
  return tf.reshape(tf.transpose(y, [1, 0, 2]), [n, outH, outW, outChannels]);
}
