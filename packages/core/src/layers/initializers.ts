import * as tf from '@tensorflow/tfjs';
import type { Initializer } from './types.js';

/** He-normal over fan-out, the initialisation timm and torchvision give ResNet convolutions. */
export function heNormalFanOut(): Initializer {
  return tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal' });
}
