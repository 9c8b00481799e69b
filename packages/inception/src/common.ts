/**
 * What the three Inception networks share: timm's convolution → BN → ReLU unit (also with the
 * factorised 1×n / n×1 kernels of Inception-v3 and Inception-ResNet-v2), the channel
 * concatenation that closes an Inception module, the SE block after it, and the SE options of
 * the family.
 */

import {
  ConfigError,
  convBn,
  type IntPair,
  type ModelOptions,
  pair,
  type ResolvedModelOptions,
  type ResolvedSE,
  resolveSEConfig,
  squeezeExcite,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';

/**
 * timm's `ConvNormAct` in its Inception networks: a convolution without bias (`${name}.conv`), a
 * batch norm with ε 1e-3 (`${name}.bn`) and a ReLU. `kernel` is square or `[height, width]`
 * (`[1, 7]` for `kernel_size=(1, 7)`). Padding is symmetric as in PyTorch; by default 0 for a
 * square kernel (timm's `padding=0` in these networks) and `(k − 1) / 2` per axis for a factorised
 * one, the only padding the references use with them.
 *
 * @example
 * ```ts
 * import { convNormAct } from '@se/inception';
 * import * as tf from '@tensorflow/tfjs';
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
    bn: { epsilon: 1e-3 },
  });
}

/**
 * Concatenates branches along the channel axis, in the order given (PyTorch's
 * `torch.cat(outputs, 1)`).
 *
 * @example
 * ```ts
 * import { concatBranches } from '@se/inception';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const a = tf.input({ shape: [8, 8, 64] });
 * const b = tf.input({ shape: [8, 8, 32] });
 * const y = concatBranches([a, b], 'Mixed_5b.cat'); // [8, 8, 96]
 * ```
 */
export function concatBranches(branches: tf.SymbolicTensor[], name: string): tf.SymbolicTensor {
  return tf.layers.concatenate({ axis: -1, name }).apply(branches) as tf.SymbolicTensor;
}

/**
 * SE on a module's output when `se` is set (null: the plain module, `x` itself).
 *
 * @example
 * ```ts
 * import { seAfter, resolveInceptionSE } from '@se/inception';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const x = tf.input({ shape: [28, 28, 256] });
 * const y = seAfter(x, resolveInceptionSE(true, true), 'inception_3a_se'); // hidden width 16
 * ```
 */
export function seAfter(
  x: tf.SymbolicTensor,
  se: ResolvedSE | null,
  name: string,
): tf.SymbolicTensor {
  return se ? squeezeExcite(x, se.block, name) : x;
}

/**
 * The family's SE settings for the `se` option: reduction 16 with the hidden width ⌊C/16⌋ and
 * FC biases, as the Caffe release's SE-BN-Inception (`inception_3a_1x1_down` 256 → 16). The
 * three "stages" are the networks' three resolutions of Inception modules (BN-Inception 3x/4x/5x,
 * Inception-v3 Mixed_5x/6x/7x, Inception-ResNet-v2 Block35/17/8). Only the paper's standard
 * position exists here: SE after each module's concatenation (Fig. 2), or on the residual branch
 * of an Inception-ResNet block (Fig. 3).
 *
 * @param enabledByDefault Whether the model has SE when `se` is undefined.
 *
 * @example
 * ```ts
 * import { resolveInceptionSE } from '@se/inception';
 *
 * resolveInceptionSE({ stages: [3] }, true)?.stages; // [3]
 * resolveInceptionSE(undefined, false); // null: the plain network
 * ```
 */
export function resolveInceptionSE(
  se: ModelOptions['se'],
  enabledByDefault: boolean,
): ResolvedSE | null {
  const resolved = resolveSEConfig(se, { reduction: 16, divisor: 1 }, 3, enabledByDefault);
  if (resolved && resolved.position !== 'standard') {
    throw new ConfigError(
      'se.position',
      resolved.position,
      "'standard' (the Inception networks put SE after each module, or on the residual branch)",
    );
  }
  return resolved;
}

/**
 * Checks the fixed height and width of `options.inputShape` against a per-size rule that a
 * minimum alone cannot express (BN-Inception's Caffe pooling only fits some sizes).
 */
export function checkInputSizes(
  options: ResolvedModelOptions,
  fits: (size: number) => boolean,
  expected: (size: number) => string,
): void {
  const [height, width] = options.inputShape;
  for (const [axis, size] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (size != null && !fits(size)) {
      throw new ConfigError(`inputShape ${axis}`, size, expected(size));
    }
  }
}
