import * as tf from '@tensorflow/tfjs';
import { convBn } from './builders.js';
import { type IntPair, pair } from './types.js';

/**
 * timm's `ConvNormAct` as its Inception networks build it: a convolution without bias
 * (`${name}.conv`), a batch norm (`${name}.bn`, ε `epsilon`, default timm's 1e-3 there) and a
 * ReLU (`${name}.act`). `kernel` is square or `[height, width]` (`[1, 7]` for
 * `kernel_size=(1, 7)`). Padding is symmetric as in PyTorch; by default 0 for a square kernel
 * (timm's `padding=0` in these networks) and `(k − 1) / 2` per axis for a factorised one.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { convNormAct } from '@se/core';
 *
 * // timm: ConvNormAct(128, 160, kernel_size=(1, 7), padding=(0, 3)), BN eps 1e-3
 * const x = tf.input({ shape: [17, 17, 128] });
 * const y = convNormAct(x, 'Mixed_6b.branch7x7_2', 160, [1, 7]); // [17, 17, 160]
 * ```
 */
export function convNormAct(
  x: tf.SymbolicTensor,
  name: string,
  filters: number,
  kernel: IntPair,
  strides = 1,
  padding: IntPair = typeof kernel === 'number'
    ? 0
    : (pair(kernel).map((k) => (k - 1) / 2) as [number, number]),
  epsilon = 1e-3,
): tf.SymbolicTensor {
  return convBn(x, {
    name: `${name}.conv`,
    bnName: `${name}.bn`,
    filters,
    kernelSize: kernel,
    strides,
    padding,
    activation: 'relu',
    activationName: `${name}.act`,
    bn: { epsilon },
  });
}

/**
 * Concatenates branches along the channel axis, in the order given (PyTorch's
 * `torch.cat(outputs, 1)`), as an Inception module ends.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { concatBranches } from '@se/core';
 *
 * const a = tf.input({ shape: [8, 8, 64] });
 * const b = tf.input({ shape: [8, 8, 32] });
 * const y = concatBranches([a, b], 'Mixed_5b.cat'); // [8, 8, 96]
 * ```
 */
export function concatBranches(branches: tf.SymbolicTensor[], name: string): tf.SymbolicTensor {
  return tf.layers.concatenate({ axis: -1, name }).apply(branches) as tf.SymbolicTensor;
}
