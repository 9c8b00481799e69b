// A residual unit with its SE block wired in at the configured position (paper Fig. 5); every
// residual family (ResNet, ResNeXt, ShuffleNet, the CIFAR ResNets) builds its units with it.
import * as tf from '@tensorflow/tfjs';
import { type ResolvedSE, type SEPosition, squeezeExcite } from '../attention/placement.js';
import { type ActivationName, activation } from '../layers/builders.js';

/** A residual unit in terms of its parts; {@link residualUnit} wires SE into it. */
export interface ResidualUnitSpec {
  /** Module path prefix, e.g. `layer1.0`. */
  name: string;
  /**
   * Builds the residual branch up to (not including) the addition. It must pass the output of
   * its 3×3 convolution (after BN and activation) through `after3x3`, the SE_3×3 hook.
   */
  branch: (
    x: tf.SymbolicTensor,
    after3x3: (t: tf.SymbolicTensor) => tf.SymbolicTensor,
  ) => tf.SymbolicTensor;
  /** Projection shortcut; the identity when omitted. */
  shortcut?: (x: tf.SymbolicTensor) => tf.SymbolicTensor;
  /** SE settings of this unit's stage, or null for a plain unit. */
  se: ResolvedSE | null;
  /** Module name of the SE block: `se` (timm) or `se_module` (Caffe/Cadene). Default `se`. */
  seName?: string;
  /** Non-linearity after the addition (default ReLU; `'linear'` for pre-activation units). */
  activation?: ActivationName;
  /**
   * Pre-activation units (He et al. 2016, wide ResNets): the BN–ReLU that starts the unit. Its
   * output feeds the branch and, where there is one, the projection shortcut; an identity
   * shortcut still carries the raw input.
   */
  preActivation?: (x: tf.SymbolicTensor) => tf.SymbolicTensor;
}

/**
 * Builds a residual unit with its SE block at the configured position (paper Fig. 5): branch,
 * shortcut, `${name}.add`, then the activation `${name}.act`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { convBn, residualUnit, resolveSEConfig } from '@se/core';
 *
 * const x = tf.input({ shape: [56, 56, 64] });
 * const se = resolveSEConfig(true, { divisor: 8 }, 4, true);
 * const y = residualUnit(x, {
 *   name: 'layer1.0',
 *   se,
 *   branch: (input, after3x3) => {
 *     const h = convBn(input, {
 *       name: 'layer1.0.conv1',
 *       bnName: 'layer1.0.bn1',
 *       filters: 64,
 *       kernelSize: 3,
 *       activation: 'relu',
 *     });
 *     return convBn(after3x3(h), {
 *       name: 'layer1.0.conv2',
 *       bnName: 'layer1.0.bn2',
 *       filters: 64,
 *       kernelSize: 3,
 *     });
 *   },
 * });
 * ```
 */
export function residualUnit(x: tf.SymbolicTensor, spec: ResidualUnitSpec): tf.SymbolicTensor {
  const { name, se } = spec;
  const seName = `${name}.${spec.seName ?? 'se'}`;
  const at = (position: SEPosition, t: tf.SymbolicTensor): tf.SymbolicTensor =>
    se && se.position === position ? squeezeExcite(t, se.block, seName) : t;

  const input = at('pre', x);
  const activated = spec.preActivation ? spec.preActivation(input) : input;
  const residual = at(
    'standard',
    spec.branch(activated, (t) => at('3x3', t)),
  );
  const projected = spec.shortcut?.(spec.preActivation ? activated : x);
  const identity = at('identity', projected ?? x);
  const sum = tf.layers
    .add({ name: `${name}.add` })
    .apply([residual, identity]) as tf.SymbolicTensor;
  return at('post', activation(sum, spec.activation ?? 'relu', `${name}.act`));
}
