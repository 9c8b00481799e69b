import type * as tf from '@tensorflow/tfjs';
import * as tfl from '@tensorflow/tfjs';
import { ConfigError, checkChoice, checkInteger } from '../errors.js';
import { type ActivationName, activation } from '../layers/builders.js';
import {
  type ResolvedSqueezeExcite,
  resolveSqueezeExcite,
  SqueezeExcite,
  type SqueezeExciteOptions,
} from './squeeze-excite.js';

/**
 * Where a residual unit's SE block sits (paper §6.5, Fig. 5):
 * - `'standard'`: on the residual branch, before the addition (Fig. 3);
 * - `'pre'`: SE-PRE, on the residual branch's input, before the unit's first convolution;
 * - `'post'`: SE-POST, after the addition and the final non-linearity;
 * - `'identity'`: SE-Identity, on the identity (shortcut) branch, in parallel with the unit;
 * - `'3x3'`: SE_3×3, inside the branch right after the 3×3 convolution (fewer channels).
 */
export type SEPosition = 'standard' | 'pre' | 'post' | 'identity' | '3x3';
/** Every {@link SEPosition}, in the order of the paper's Fig. 5. */
export const SE_POSITIONS: readonly SEPosition[] = ['standard', 'pre', 'post', 'identity', '3x3'];

/** SE options of a whole network: the block's options plus where and in which stages. */
export interface SEConfig extends SqueezeExciteOptions {
  /** Integration strategy (default `'standard'`). */
  position?: SEPosition;
  /** 1-based stages that get SE blocks (default all; the paper's Table 13 ablation). */
  stages?: number[];
}

/** An {@link SEConfig} validated against a network with a given number of stages. */
export interface ResolvedSE {
  /** Validated options of each SE block, with the family's defaults filled in. */
  block: ResolvedSqueezeExcite;
  /** Where each residual unit's SE block sits. */
  position: SEPosition;
  /** Sorted 1-based stage indices. */
  stages: number[];
}

/**
 * Resolves the `se` factory option. `defaults` are the family's SE defaults (e.g. timm's
 * divisor 8), `enabled` whether the model name has SE when `se` is omitted. Returns null for the
 * plain network (`se: false`, or `se` omitted and not `enabled`).
 *
 * @example
 * ```ts
 * import { resolveSEConfig } from '@se/core';
 *
 * const se = resolveSEConfig({ position: 'pre', stages: [3, 4] }, { divisor: 8 }, 4, true);
 * se?.stages; // [3, 4]
 * ```
 */
export function resolveSEConfig(
  se: SEConfig | boolean | undefined,
  defaults: SqueezeExciteOptions,
  stageCount: number,
  enabled: boolean,
): ResolvedSE | null {
  if (se === false || (se === undefined && !enabled)) return null;
  if (se !== undefined && typeof se !== 'boolean' && (typeof se !== 'object' || se === null)) {
    throw new ConfigError('se', se, 'SE options (an object), true, or false for the plain network');
  }
  const config: SEConfig = typeof se === 'object' ? se : {};
  const { position, stages, ...block } = config;
  const allStages = Array.from({ length: stageCount }, (_, i) => i + 1);
  if (stages !== undefined && (!Array.isArray(stages) || stages.length === 0)) {
    throw new ConfigError(
      'se.stages',
      stages,
      `a non-empty list of stages among ${allStages.join(', ')}`,
    );
  }
  const chosen = (stages ?? allStages).map((s) => checkInteger('se.stages', s, 1, stageCount));
  return {
    block: resolveSqueezeExcite({ ...defaults, ...block }, 'se'),
    position: checkChoice('se.position', position ?? 'standard', SE_POSITIONS),
    stages: [...new Set(chosen)].sort((a, b) => a - b),
  };
}

/**
 * The SE settings for one (1-based) stage, or null where that stage has none.
 *
 * @example
 * ```ts
 * import { resolveSEConfig, seForStage } from '@se/core';
 *
 * const se = resolveSEConfig({ stages: [4] }, {}, 4, true);
 * seForStage(se, 1); // null
 * seForStage(se, 4) === se; // true
 * ```
 */
export function seForStage(se: ResolvedSE | null, stage: number): ResolvedSE | null {
  return se?.stages.includes(stage) ? se : null;
}

/**
 * Applies one {@link SqueezeExcite} layer named `name` to `x` and returns its output.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { resolveSqueezeExcite, squeezeExcite } from '@se/core';
 *
 * const x = tf.input({ shape: [14, 14, 256] });
 * const y = squeezeExcite(x, resolveSqueezeExcite({ reduction: 16 }), 'layer3.0.se');
 * ```
 */
export function squeezeExcite(
  x: tf.SymbolicTensor,
  block: ResolvedSqueezeExcite,
  name: string,
): tf.SymbolicTensor {
  const { hiddenChannels, ...rest } = block;
  return new SqueezeExcite({
    ...rest,
    ...(hiddenChannels == null ? {} : { hiddenChannels }),
    name,
  }).apply(x) as tf.SymbolicTensor;
}

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
  const sum = tfl.layers
    .add({ name: `${name}.add` })
    .apply([residual, identity]) as tf.SymbolicTensor;
  return at('post', activation(sum, spec.activation ?? 'relu', `${name}.act`));
}
