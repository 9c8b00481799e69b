import type * as tf from '@tensorflow/tfjs';
import { ConfigError, checkChoice, checkInteger } from '../errors.js';
import {
  type ResolvedSqueezeExcite,
  resolveSqueezeExcite,
  type SqueezeExciteOptions,
} from './options.js';
import { SqueezeExcite } from './squeeze-excite.js';

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
 * Applies one {@link SqueezeExcite} layer named `name` to `x` and returns its output. The layer
 * takes `block` as it is (already validated, e.g. by {@link resolveSEConfig}).
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
  return new SqueezeExcite({ block, name }).apply(x) as tf.SymbolicTensor;
}
