/**
 * MobileNet v1 (Howard et al. 2017) and SE-MobileNet, the paper's first mobile network
 * (Table 3: 569 → 572 MFLOPs, 4.2M → 4.7M parameters at 224²).
 *
 * The plain network is timm's `mobilenetv1_100` (`_gen_mobilenet_v1` in timm's efficientnet.py):
 * a 3×3/2 stem of 32 channels, then thirteen depthwise-separable blocks in five stages
 * (timm's `blocks.0` … `blocks.4`), each a 3×3 depthwise convolution → BN → ReLU6 and a 1×1
 * pointwise convolution → BN → ReLU6, without shortcuts, then global average pooling and the
 * classifier. Layer names are timm's module paths, so `torchStateDictMapping` gives timm's
 * `state_dict` keys and shapes exactly.
 *
 * SE: the paper does not spell out where the blocks go in MobileNet. We put one SE block after
 * each depthwise-separable block's pointwise convolution (after its BN and non-linearity), with
 * ⌊C/16⌋ hidden units, as the paper's non-residual instantiation does ("after the non-linearity
 * following each convolution", applied per block). It is the placement that reproduces Table 3:
 * it adds 486,068 parameters (4.23M → 4.72M, the paper's 4.2M → 4.7M; SE after the depthwise
 * convolution instead would give 4.58M), and its FC layers plus one multiply per scaled element
 * come to the paper's +3 MFLOPs. `se.position: '3x3'` moves SE after the depthwise convolution
 * (as timm's MobileNetV3-style blocks place it) and `'pre'` before it.
 */

import {
  type ArchitectureLimits,
  ConfigError,
  checkChoice,
  classifierHead,
  convBn,
  type FamilyModel,
  type ModelOptions,
  type ResolvedSE,
  registerFamily,
  resolveFamilySE,
  resolveModelOptions,
  type SEPosition,
  seAt,
  seForStage,
  twinModels,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** The width multipliers α of the MobileNet paper (Table 6/14), each registered by name. */
export const MOBILENET_ALPHAS = [0.25, 0.5, 0.75, 1] as const;
/** A width multiplier α of {@link MOBILENET_ALPHAS}. */
export type MobileNetAlpha = (typeof MOBILENET_ALPHAS)[number];

/** Total stride 32: the smallest input is 32×32 (1×1 after the last stage). */
export const MOBILENET_LIMITS: ArchitectureLimits = {
  defaultInputShape: [224, 224, 3],
  minInputSize: 32,
};

/** Channels of the stem at α = 1. */
export const MOBILENET_V1_STEM = 32;

/**
 * The five stages at α = 1, as timm's `arch_def` (`dsa_r{blocks}_k3_s{stride}_c{channels}`):
 * blocks, stride of the first block, and output channels.
 */
export const MOBILENET_V1_STAGES: readonly {
  /** Depthwise-separable blocks in the stage. */
  readonly blocks: number;
  /** Stride of the stage's first depthwise convolution. */
  readonly stride: number;
  /** Output channels of every block of the stage at α = 1. */
  readonly channels: number;
}[] = [
  { blocks: 1, stride: 1, channels: 64 },
  { blocks: 2, stride: 2, channels: 128 },
  { blocks: 2, stride: 2, channels: 256 },
  { blocks: 6, stride: 2, channels: 512 },
  { blocks: 2, stride: 2, channels: 1024 },
];

/** The non-linearities a MobileNet can use. */
export type MobileNetActivation = 'relu6' | 'relu';

/** Where an SE block can sit in a depthwise-separable block (there is no shortcut). */
const MOBILENET_SE_POSITIONS = ['standard', 'pre', '3x3'] as const satisfies readonly SEPosition[];

/**
 * Channels `channels · α` rounded as timm's `round_channels`: to the nearest multiple of 8, never
 * below 8 or under 90 % of the exact value. Every registered α gives an exact multiple of 8.
 *
 * @example
 * ```ts
 * import { roundChannels } from '@se/mobilenet';
 *
 * roundChannels(1024, 0.75); // 768
 * roundChannels(32, 0.25); // 8
 * ```
 */
export function roundChannels(channels: number, alpha: number, divisor = 8): number {
  const exact = channels * alpha;
  const rounded = Math.max(divisor, Math.floor((exact + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * exact ? rounded + divisor : rounded;
}

/** One depthwise-separable block. */
export interface DepthwiseSeparableSpec {
  /** Module path, e.g. `blocks.3.0`. */
  name: string;
  /** Output channels of the pointwise convolution. */
  filters: number;
  /** Stride of the depthwise convolution. */
  strides: number;
  /** Non-linearity after each BN. */
  activation: MobileNetActivation;
  /** SE settings of the block's stage, or null for a plain block. */
  se: ResolvedSE | null;
}

/**
 * timm's `DepthwiseSeparableConv` with a pointwise activation (`dsa`) and no shortcut:
 * `conv_dw` (3×3, one filter per channel) → `bn1` → act → `conv_pw` (1×1) → `bn2` → act, with
 * the SE block `se` where `spec.se.position` puts it (default: after the pointwise activation).
 *
 * @example
 * ```ts
 * import { depthwiseSeparable } from '@se/mobilenet';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const x = tf.input({ shape: [112, 112, 32] });
 * const y = depthwiseSeparable(x, {
 *   name: 'blocks.0.0',
 *   filters: 64,
 *   strides: 1,
 *   activation: 'relu6',
 *   se: null,
 * }); // [112, 112, 64]
 * ```
 */
export function depthwiseSeparable(
  x: tf.SymbolicTensor,
  spec: DepthwiseSeparableSpec,
): tf.SymbolicTensor {
  const { name, se } = spec;
  const at = (position: SEPosition, t: tf.SymbolicTensor) => seAt(t, se, position, `${name}.se`);
  const channels = x.shape[3] ?? 0;
  let y = convBn(at('pre', x), {
    name: `${name}.conv_dw`,
    bnName: `${name}.bn1`,
    filters: channels,
    kernelSize: 3,
    strides: spec.strides,
    groups: channels,
    activation: spec.activation,
    activationName: `${name}.bn1.act`,
  });
  y = convBn(at('3x3', y), {
    name: `${name}.conv_pw`,
    bnName: `${name}.bn2`,
    filters: spec.filters,
    kernelSize: 1,
    activation: spec.activation,
    activationName: `${name}.bn2.act`,
  });
  return at('standard', y);
}

/** Options of the MobileNet v1 factories: Keras's, plus the width multiplier and activation. */
export interface MobileNetV1Options extends ModelOptions {
  /** Width multiplier α: 0.25, 0.5, 0.75 or 1 (default 1), as Keras's `alpha`. */
  alpha?: MobileNetAlpha;
  /**
   * Non-linearity after every BN: `'relu6'` (default; timm and TF-slim, so timm's weights give
   * timm's outputs) or `'relu'` (the MobileNet paper's text).
   */
  activation?: MobileNetActivation;
}

const EXTRA_KEYS = ['alpha', 'activation'] as const;

/**
 * The SE settings of a MobileNet for `se` (⌊C/16⌋ hidden units; positions `'standard'`, `'pre'`
 * and `'3x3'`), or null for the plain network.
 *
 * @example
 * ```ts
 * import { resolveMobileNetSE } from '@se/mobilenet';
 *
 * resolveMobileNetSE({ position: '3x3', stages: [4, 5] }, false)?.stages; // [4, 5]
 * ```
 */
export function resolveMobileNetSE(
  se: ModelOptions['se'],
  enabledByDefault: boolean,
): ResolvedSE | null {
  return resolveFamilySE(se, enabledByDefault, {
    stages: MOBILENET_V1_STAGES.length,
    positions: MOBILENET_SE_POSITIONS,
    why: ': a MobileNet block has no shortcut and no addition',
  });
}

/**
 * Builds MobileNet v1 (or SE-MobileNet) from Keras-style options; SE is on when `se` is given
 * or when `seByDefault` and `se` is omitted.
 *
 * @example
 * ```ts
 * import { buildMobileNetV1 } from '@se/mobilenet';
 *
 * const model = buildMobileNetV1({ alpha: 0.5, classes: 10, inputShape: [96, 96, 3] }, true);
 * ```
 */
export function buildMobileNetV1(
  options: MobileNetV1Options = {},
  seByDefault = false,
  defaultName?: string,
): tf.LayersModel {
  const resolved = resolveModelOptions(options, MOBILENET_LIMITS, EXTRA_KEYS);
  const alpha = options.alpha ?? 1;
  if (!(MOBILENET_ALPHAS as readonly number[]).includes(alpha)) {
    throw new ConfigError('alpha', alpha, `one of ${MOBILENET_ALPHAS.join(', ')}`);
  }
  const act = checkChoice('activation', options.activation ?? 'relu6', ['relu6', 'relu'] as const);
  const se = resolveMobileNetSE(options.se, seByDefault);

  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = convBn(input, {
    name: 'conv_stem',
    bnName: 'bn1',
    filters: roundChannels(MOBILENET_V1_STEM, alpha),
    kernelSize: 3,
    strides: 2,
    activation: act,
    activationName: 'bn1.act',
  });
  for (const [stage, { blocks, stride, channels }] of MOBILENET_V1_STAGES.entries()) {
    for (let i = 0; i < blocks; i++) {
      x = depthwiseSeparable(x, {
        name: `blocks.${stage}.${i}`,
        filters: roundChannels(channels, alpha),
        strides: i === 0 ? stride : 1,
        activation: act,
        se: seForStage(se, stage + 1),
      });
    }
  }
  const output = classifierHead(x, resolved, { classifier: 'classifier' });
  const name = resolved.name ?? defaultName ?? mobileNetName(alpha, se !== null);
  return tf.model({ inputs: input, outputs: output, name });
}

/** How a registered name spells each width. */
const ALPHA_SUFFIX = { 0.25: '025', 0.5: '050', 0.75: '075', 1: '100' } as const;

/** The registered name of a width: `mobilenetv1_050`, `se_mobilenetv1_050`. */
function mobileNetName<S extends boolean>(
  alpha: MobileNetAlpha,
  se: S,
): `${S extends true ? 'se_' : ''}mobilenetv1_${(typeof ALPHA_SUFFIX)[MobileNetAlpha]}` {
  return `${se ? 'se_' : ''}mobilenetv1_${ALPHA_SUFFIX[alpha]}` as ReturnType<
    typeof mobileNetName<S>
  >;
}

/**
 * MobileNet v1 at any width of {@link MOBILENET_ALPHAS} (default α = 1: timm's
 * `mobilenetv1_100`, 4,231,976 parameters, 568.7 M MACs at 224²); plain unless `se` is given.
 *
 * @example
 * ```ts
 * import { mobileNetV1 } from '@se/mobilenet';
 *
 * const model = mobileNetV1({ alpha: 0.25, classes: 10, inputShape: [64, 64, 3] });
 * const withSE = mobileNetV1({ se: { reduction: 8 } });
 * ```
 */
export function mobileNetV1(options: MobileNetV1Options = {}): tf.LayersModel {
  return buildMobileNetV1(options, false);
}

/**
 * SE-MobileNet v1 (paper Table 3: 572 MFLOPs, 4.7M parameters at α = 1): an SE block after
 * every depthwise-separable block; `se: false` gives the plain baseline.
 *
 * @example
 * ```ts
 * import { seMobileNetV1 } from '@se/mobilenet';
 *
 * const model = seMobileNetV1({ classes: 100, inputShape: [128, 128, 3] });
 * const seAfterDepthwise = seMobileNetV1({ se: { position: '3x3' } });
 * ```
 */
export function seMobileNetV1(options: MobileNetV1Options = {}): tf.LayersModel {
  return buildMobileNetV1(options, true);
}

/** SE paper Table 3 (MFLOPs are multiply–accumulates), at α = 1 only. */
const PAPER_GMACS = { plain: 0.569, se: 0.572 } as const;

/** The registry table: every width, plain and with SE. */
const MOBILENET_MODELS: Record<MobileNetModelName, FamilyModel> = Object.fromEntries(
  MOBILENET_ALPHAS.flatMap((alpha) =>
    Object.entries(
      twinModels({
        plain: mobileNetName(alpha, false),
        se: mobileNetName(alpha, true),
        build: (options: ModelOptions, seByDefault, name) =>
          buildMobileNetV1({ ...options, alpha }, seByDefault, name),
        description: {
          plain: `MobileNet v1 ${alpha}×, exact to timm's mobilenetv1 (state_dict keys and shapes)`,
          se: `SE-MobileNet v1 ${alpha}×: SE after every depthwise-separable block (paper Table 3)`,
        },
        ...(alpha === 1
          ? {
              paper: {
                plain: { gmacs: PAPER_GMACS.plain, table: 'Table 3' },
                se: { gmacs: PAPER_GMACS.se, table: 'Table 3' },
              },
            }
          : {}),
      }),
    ),
  ),
) as Record<MobileNetModelName, FamilyModel>;

/** The registered name of a model of this package (`mobilenetv1_100`, `se_mobilenetv1_025`, …). */
export type MobileNetModelName = `${'' | 'se_'}mobilenetv1_${'025' | '050' | '075' | '100'}`;

/** Every {@link MobileNetModelName}, as registered. */
export const MOBILENET_MODEL_NAMES = Object.keys(MOBILENET_MODELS) as readonly MobileNetModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<MobileNetModelName, true> {}
}

registerFamily({
  family: 'mobilenet',
  package: '@se/mobilenet',
  limits: MOBILENET_LIMITS,
  models: MOBILENET_MODELS,
});
