import * as tf from '@tensorflow/tfjs';
import { pair } from './context.js';

/** One spatial axis of a convolution. */
export interface AxisGeometry {
  /** Input size. */
  size: number;
  /** Filter size. */
  kernel: number;
  stride: number;
  dilation: number;
  /** Zero padding before the input (may be read as cropping when negative, see below). */
  padBefore: number;
  /** Zero padding after the input. */
  padAfter: number;
  /** Output size. */
  out: number;
}

/** Both spatial axes of an NHWC convolution, as tfjs computes them. */
export interface ConvGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  h: AxisGeometry;
  w: AxisGeometry;
}

/** tfjs's padding attribute of the convolution kernels. */
export type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** The geometry of a convolution from its kernel attributes (`computeConv2DInfo`). */
export function convGeometry(
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: tf.NamedAttrMap,
  depthwise = false,
): ConvGeometry {
  const strides = pair(attrs.strides, 'strides');
  const dilations = pair(attrs.dilations, 'dilations');
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    attrs.pad as PadAttr,
    (attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined) ?? undefined,
    depthwise,
  );
  const { padInfo } = info;
  return {
    batch: info.batchSize,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    h: {
      size: info.inHeight,
      kernel: info.filterHeight,
      stride: info.strideHeight,
      dilation: info.dilationHeight,
      padBefore: padInfo.top,
      padAfter: padInfo.bottom,
      out: info.outHeight,
    },
    w: {
      size: info.inWidth,
      kernel: info.filterWidth,
      stride: info.strideWidth,
      dilation: info.dilationWidth,
      padBefore: padInfo.left,
      padAfter: padInfo.right,
      out: info.outWidth,
    },
  };
}

/** The output positions `[lo, hi]` that read input through tap `i` (empty when lo > hi). */
function tapOutputs(a: AxisGeometry, i: number): [number, number] {
  const offset = i * a.dilation - a.padBefore;
  const lo = Math.max(0, Math.ceil(-offset / a.stride));
  const hi = Math.min(a.out - 1, Math.floor((a.size - 1 - offset) / a.stride));
  return [lo, hi];
}

/**
 * The taps of an axis that ever read input rather than padding, as the range `[first, last]`
 * (a superset when the live taps are not contiguous, which is still exact). On the small
 * feature maps of CIFAR-sized inputs most taps of a 3×3 "same" convolution read only padding —
 * at 1×1 only the centre — and cropping them saves both the arithmetic and the weight packing.
 * Null when no tap reads input (the output is all zeros).
 */
export function liveTaps(a: AxisGeometry): [number, number] | null {
  let first = -1;
  let last = -1;
  for (let i = 0; i < a.kernel; i++) {
    const [lo, hi] = tapOutputs(a, i);
    if (lo <= hi) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? null : [first, last];
}

/**
 * An axis restricted to taps `[first, last]`: the same output, with the padding adjusted. A
 * negative padding means input rows no live tap reads, which the caller crops.
 */
export function cropAxis(a: AxisGeometry, [first, last]: [number, number]): AxisGeometry {
  return {
    ...a,
    kernel: last - first + 1,
    padBefore: a.padBefore - first * a.dilation,
    padAfter: a.padAfter - (a.kernel - 1 - last) * a.dilation,
  };
}
