import * as tf from '@tensorflow/tfjs';
import type { Initializer } from './types.js';

/**
 * He-normal over fan-out, the initialisation timm and torchvision give ResNet convolutions
 * (PyTorch's `kaiming_normal_(mode='fan_out', nonlinearity='relu')`): tfjs variance scaling with
 * scale 2 over fan-out, which draws from a normal truncated at two standard deviations.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { heNormalFanOut } from '@se/core';
 *
 * const conv = tf.layers.conv2d({
 *   filters: 64,
 *   kernelSize: 3,
 *   kernelInitializer: heNormalFanOut(),
 * });
 * ```
 */
export function heNormalFanOut(): Initializer {
  return tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal' });
}
