import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';

/** A layer input shape as tfjs hands it to `build`/`computeOutputShape` (batch first). */
export type LayerShape = tf.Shape;

/** The single input shape of a one-input layer (tfjs may pass `[shape]`). */
export function singleShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  const first = inputShape[0];
  return Array.isArray(first) ? (first as tf.Shape) : (inputShape as tf.Shape);
}

/**
 * Checks that `shape` is an NHWC feature map with a known channel count and returns the channels.
 * `who` names the layer for the error message.
 */
export function nhwcChannels(who: string, shape: tf.Shape): number {
  if (shape.length !== 4) {
    throw new ConfigError(
      `${who} input shape`,
      shape,
      'a rank-4 NHWC feature map [batch, height, width, channels]',
    );
  }
  const channels = shape[3];
  if (channels == null) {
    throw new ConfigError(`${who} input channels`, channels, 'a known channel count');
  }
  return channels;
}

/**
 * Output length of a convolution or pooling window along one axis (PyTorch's formula), or null
 * for an unknown `size`. With `ceilMode`, a last window starting inside the right padding is
 * dropped, as PyTorch does.
 *
 * @example
 * ```ts
 * import { windowOutput } from '@se/core';
 *
 * windowOutput(112, 3, 2, 1, 1); // 56: MaxPool2d(3, stride=2, padding=1)
 * windowOutput(112, 3, 2, 0, 0, 1, true); // 56: the Caffe stem's ceil-mode pool
 * ```
 */
export function windowOutput(
  size: number | null,
  kernel: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation = 1,
  ceilMode = false,
): number | null {
  if (size == null) return null;
  const span = size + padBefore + padAfter - dilation * (kernel - 1) - 1;
  const out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // PyTorch drops a last window that would start inside the right padding (ceil mode only).
  if (ceilMode && (out - 1) * stride >= size + padBefore) return out - 1;
  return out;
}
