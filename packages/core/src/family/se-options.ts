import type * as tf from '@tensorflow/tfjs';
import {
  type ResolvedSE,
  resolveSEConfig,
  type SEConfig,
  type SEPosition,
  squeezeExcite,
} from '../attention/placement.js';
import { ConfigError } from '../errors.js';

/** How a family without the residual builder resolves its `se` option. */
export interface FamilySEOptions {
  /** Stages `se.stages` counts (1-based). */
  stages: number;
  /** SE block defaults (default: reduction 16, hidden width ⌊C/16⌋, as the Caffe release). */
  defaults?: Omit<SEConfig, 'position' | 'stages'>;
  /** The positions the family's blocks offer (default all of the residual unit's). */
  positions?: readonly SEPosition[];
  /** Why only those positions: appended as it is to the error's list of them. */
  why?: string;
}

/**
 * The SE settings of a family for the `se` model option: {@link resolveSEConfig} with the
 * family's defaults (reduction 16, ⌊C/16⌋ hidden units unless `defaults` says otherwise), and a
 * {@link ConfigError} for a position the family's blocks do not have. Null for the plain
 * network; `enabledByDefault` applies when `se` is undefined.
 *
 * @example
 * ```ts
 * import { resolveFamilySE } from '@se/core';
 *
 * // VGG: five blocks, SE only after each convolution's ReLU.
 * const se = resolveFamilySE({ stages: [4, 5] }, false, {
 *   stages: 5,
 *   positions: ['standard'],
 *   why: ': VGG has no residual units',
 * });
 * se?.stages; // [4, 5]
 * ```
 */
export function resolveFamilySE(
  se: SEConfig | boolean | undefined,
  enabledByDefault: boolean,
  family: FamilySEOptions,
): ResolvedSE | null {
  const resolved = resolveSEConfig(
    se,
    family.defaults ?? { reduction: 16, divisor: 1 },
    family.stages,
    enabledByDefault,
  );
  const positions = family.positions;
  if (resolved && positions && !positions.includes(resolved.position)) {
    const choices = positions.map((p) => `'${p}'`);
    throw new ConfigError(
      'se.position',
      resolved.position,
      `${choices.length === 1 ? choices[0] : `one of ${choices.join(', ')}`}${family.why ?? ''}`,
    );
  }
  return resolved;
}

/**
 * `x` through an SE block named `name` if `se` puts one at `position`, else `x` itself: for
 * blocks that place SE themselves (a depthwise-separable block, a unit that concatenates).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { resolveFamilySE, seAt } from '@se/core';
 *
 * const se = resolveFamilySE(true, true, { stages: 1 });
 * const x = tf.input({ shape: [28, 28, 64] });
 * const y = seAt(x, se, 'standard', 'blocks.0.0.se'); // SE (hidden width 4)
 * const z = seAt(x, se, 'pre', 'blocks.0.0.se'); // x: this SE is not at 'pre'
 * ```
 */
export function seAt(
  x: tf.SymbolicTensor,
  se: ResolvedSE | null,
  position: SEPosition,
  name: string,
): tf.SymbolicTensor {
  return se && se.position === position ? squeezeExcite(x, se.block, name) : x;
}
