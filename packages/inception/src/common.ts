/**
 * What the three Inception networks share: a convolution → BN → ReLU unit that also takes the
 * factorised 1×n / n×1 kernels of Inception-v3 and Inception-ResNet-v2, the channel
 * concatenation that closes an Inception module, the SE block after it, and the SE options of
 * the family.
 */

import {
  batchNorm,
  ConfigError,
  convBn,
  heNormalFanOut,
  type ModelOptions,
  type ResolvedModelOptions,
  type ResolvedSE,
  resolveSEConfig,
  squeezeExcite,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** A convolution without bias, its batch norm and a ReLU, named as the reference names them. */
export interface ConvUnitSpec {
  /** Name of the convolution (`Mixed_5b.branch1x1.conv`, `inception_3a_1x1`). */
  conv: string;
  /** Name of the batch norm (`Mixed_5b.branch1x1.bn`, `inception_3a_1x1_bn`). */
  bn: string;
  /** Name of the ReLU layer (weightless). */
  act: string;
  /** Output channels. */
  filters: number;
  /** Kernel size, square or `[height, width]` (`[1, 7]` for timm's `kernel_size=(1, 7)`). */
  kernel: number | [number, number];
  /** Stride (default 1); factorised kernels only come with stride 1. */
  strides?: number;
  /**
   * Symmetric zero padding per side (PyTorch's `padding`). Square kernels: default 0, as timm's
   * `ConvNormAct(padding=0)` in these networks. Factorised kernels always get the "same" padding
   * `(k − 1) / 2` per axis, the only padding the references use with them.
   */
  padding?: number;
  /** Batch-norm epsilon: 1e-3 in timm's Inception networks, 1e-5 (PyTorch, Caffe) otherwise. */
  epsilon: number;
}

/**
 * Convolution → BN → ReLU. Square kernels go through `@se/core`'s `convBn`; a factorised
 * `[1, n]` or `[n, 1]` kernel at stride 1 with "same" padding is symmetric, so tfjs's `'same'`
 * reproduces PyTorch there.
 *
 * @example
 * ```ts
 * import { convUnit } from '@se/inception';
 * import * as tf from '@tensorflow/tfjs';
 *
 * // timm: ConvNormAct(128, 160, kernel_size=(1, 7), padding=(0, 3)), BN eps 1e-3
 * const x = tf.input({ shape: [17, 17, 128] });
 * const y = convUnit(x, {
 *   conv: 'branch1.1.conv',
 *   bn: 'branch1.1.bn',
 *   act: 'branch1.1.act',
 *   filters: 160,
 *   kernel: [1, 7],
 *   epsilon: 1e-3,
 * }); // [17, 17, 160]
 * ```
 */
export function convUnit(x: tf.SymbolicTensor, spec: ConvUnitSpec): tf.SymbolicTensor {
  const bn = { epsilon: spec.epsilon };
  if (typeof spec.kernel === 'number' || spec.kernel[0] === spec.kernel[1]) {
    const kernelSize = typeof spec.kernel === 'number' ? spec.kernel : spec.kernel[0];
    return convBn(x, {
      name: spec.conv,
      bnName: spec.bn,
      filters: spec.filters,
      kernelSize,
      strides: spec.strides ?? 1,
      padding: spec.padding ?? 0,
      activation: 'relu',
      activationName: spec.act,
      bn,
    });
  }
  const [kh, kw] = spec.kernel;
  if ((spec.strides ?? 1) !== 1 || kh % 2 === 0 || kw % 2 === 0) {
    throw new ConfigError(
      `${spec.conv} kernel`,
      spec.kernel,
      'a factorised kernel with odd sides at stride 1 (as the references use them)',
    );
  }
  const y = tf.layers
    .conv2d({
      name: spec.conv,
      filters: spec.filters,
      kernelSize: [kh, kw],
      padding: 'same',
      useBias: false,
      kernelInitializer: heNormalFanOut(),
    })
    .apply(x) as tf.SymbolicTensor;
  const normalised = batchNorm(y, spec.bn, bn);
  return tf.layers
    .activation({ activation: 'relu', name: spec.act })
    .apply(normalised) as tf.SymbolicTensor;
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
