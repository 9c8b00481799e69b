/**
 * ShuffleNet v1 (Zhang et al. 2017, arXiv 1707.01083) and SE-ShuffleNet, the paper's second
 * mobile network (SE paper Table 3: 140 → 142 MFLOPs, 1.8M → 2.4M parameters for 1× g = 3).
 *
 * Architecture (ShuffleNet paper Table 1 and Fig. 2): a 3×3/2 convolution of 24 channels and a
 * 3×3/2 max pool, then three stages of 4, 8 and 4 ShuffleNet units. A unit is 1×1 group
 * convolution (bottleneck width = output / 4) → BN → ReLU → channel shuffle → 3×3 depthwise
 * convolution (stride 2 in a stage's first unit) → BN (no ReLU) → 1×1 group convolution → BN; a
 * stride-1 unit adds its input and applies ReLU, a stride-2 unit concatenates a 3×3/2 average
 * pooled shortcut with the branch (which then outputs out − in channels) and applies ReLU. The
 * first 1×1 convolution of stage 2 is not grouped (its input has only 24 channels).
 *
 * Parameter counts and layer names follow the official implementation, megvii-model's
 * ShuffleNet-Series `ShuffleNetV1` (module paths `first_conv.0`, `features.N.branch_main_1.0`,
 * …, and a classifier `classifier.0` without bias), so its 1.0x g3 has 1,864,728 parameters.
 *
 * SE sits where SE-ResNet has it: on the branch, after its last BN and before the addition or
 * concatenation, with ⌊C/16⌋ hidden units. The SE paper does not say more; this placement is
 * the one that reproduces its Table 3 (+0.62M parameters: 1.86M → 2.48M, the paper's
 * 1.8M → 2.4M; SE after the concatenation would give 2.58M). `se.position` offers the others
 * of the paper's Fig. 5.
 */

import {
  type ArchitectureLimits,
  activation,
  ChannelShuffle,
  ConfigError,
  checkChoice,
  classifierHead,
  convBn,
  type FamilyModel,
  type ModelOptions,
  Pool2D,
  type ResolvedSE,
  registerFamily,
  residualUnit,
  resolveFamilySE,
  resolveModelOptions,
  type SEPosition,
  seAt,
  seForStage,
  twinModels,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** The group counts g of the ShuffleNet paper's Table 1. */
export const SHUFFLENET_GROUPS = [1, 2, 3, 4, 8] as const;
/** A group count of {@link SHUFFLENET_GROUPS}. */
export type ShuffleNetGroups = (typeof SHUFFLENET_GROUPS)[number];
/** The width multipliers s ("ShuffleNet s×") built here. */
export const SHUFFLENET_WIDTHS = [0.5, 1, 2] as const;
/** A width multiplier of {@link SHUFFLENET_WIDTHS}. */
export type ShuffleNetWidth = (typeof SHUFFLENET_WIDTHS)[number];

/** Output channels of stage 2 at 1× for each g (ShuffleNet paper Table 1); stages 3 and 4 double. */
export const STAGE2_CHANNELS: Record<ShuffleNetGroups, number> = {
  1: 144,
  2: 200,
  3: 240,
  4: 272,
  8: 384,
};
/** Units in stages 2, 3 and 4 (ShuffleNet paper Table 1). */
export const STAGE_UNITS = [4, 8, 4] as const;

/** Total stride 32: the smallest input is 32×32. */
export const SHUFFLENET_LIMITS: ArchitectureLimits = {
  defaultInputShape: [224, 224, 3],
  minInputSize: 32,
};

/** The channels of a ShuffleNet s× with g groups. */
export interface ShuffleNetChannels {
  /** Output channels of the stem convolution. */
  stem: number;
  /** Output channels of stages 2, 3 and 4. */
  stages: [number, number, number];
}

/**
 * Channels of ShuffleNet s× with g groups: the paper's Table 1 widths times s, rounded to the
 * nearest multiple of 4g (so bottleneck widths split into g groups), and a stem of 24·s rounded
 * up to a multiple of g (so a stride-2 branch's out − in channels do). Where s × Table 1 is
 * already divisible this is the paper's width, and it reproduces every configuration of the
 * official implementation (e.g. its 0.5x g8 stem of 16).
 *
 * @example
 * ```ts
 * import { shuffleNetChannels } from '@se/shufflenet';
 *
 * shuffleNetChannels(3, 1); // { stem: 24, stages: [240, 480, 960] }
 * shuffleNetChannels(8, 0.5); // { stem: 16, stages: [192, 384, 768] }
 * ```
 */
export function shuffleNetChannels(groups: ShuffleNetGroups, width: number): ShuffleNetChannels {
  const divisor = 4 * groups;
  const exact = STAGE2_CHANNELS[groups] * width;
  let stage2 = Math.max(divisor, Math.floor((exact + divisor / 2) / divisor) * divisor);
  if (stage2 < 0.9 * exact) stage2 += divisor;
  return {
    stem: Math.ceil((24 * width) / groups) * groups,
    stages: [stage2, 2 * stage2, 4 * stage2],
  };
}

/**
 * Which channel shuffle a unit uses:
 * - `'paper'`: the paper's Fig. 1 — reshape the channels to (g, C/g), transpose, flatten —
 *   right after the first 1×1 group convolution's BN–ReLU (Fig. 2);
 * - `'megvii'`: the official implementation's — reshape to (C/g, g), the inverse permutation —
 *   after the depthwise convolution's BN. Choose it to load megvii's checkpoints.
 * Both mix every group into every next group; they differ only in how trained weights are laid out.
 */
export type ShuffleOrder = 'paper' | 'megvii';

/** One ShuffleNet unit. */
export interface ShuffleUnitSpec {
  /** Module path, e.g. `features.4`. */
  name: string;
  /** Output channels of the unit. */
  outChannels: number;
  /** Groups g of the 1×1 convolutions. */
  groups: number;
  /** 2 for a stage's first unit (average-pool shortcut, concatenation), else 1. */
  stride: 1 | 2;
  /** Whether the first 1×1 convolution is grouped (false for the first unit of stage 2). */
  groupFirst: boolean;
  /** Channel shuffle convention (default `'paper'`). */
  shuffleOrder?: ShuffleOrder;
  /** SE settings of the unit's stage, or null for a plain unit. */
  se: ResolvedSE | null;
}

/**
 * The ShuffleNet unit of the paper's Fig. 2(b) (stride 1) and 2(c) (stride 2), with megvii's
 * module paths: `branch_main_1.{0,1,2,3,4}` (1×1 GConv, BN, ReLU, 3×3 DWConv, BN),
 * `channel_shuffle`, `branch_main_2.{0,1}` (1×1 GConv, BN), `branch_proj` (the average pool
 * shortcut), and the SE block `se`. The stride-2 unit concatenates [shortcut, branch].
 *
 * @example
 * ```ts
 * import { shuffleUnit } from '@se/shufflenet';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const x = tf.input({ shape: [28, 28, 240] });
 * const y = shuffleUnit(x, {
 *   name: 'features.4',
 *   outChannels: 480,
 *   groups: 3,
 *   stride: 2,
 *   groupFirst: true,
 *   se: null,
 * }); // [14, 14, 480]
 * ```
 */
export function shuffleUnit(x: tf.SymbolicTensor, spec: ShuffleUnitSpec): tf.SymbolicTensor {
  const { name, groups, stride, se } = spec;
  const order = spec.shuffleOrder ?? 'paper';
  const inChannels = x.shape[3] ?? 0;
  const mid = spec.outChannels / 4;
  const branchChannels = stride === 2 ? spec.outChannels - inChannels : spec.outChannels;
  if (!Number.isInteger(mid) || mid % groups !== 0 || branchChannels % groups !== 0) {
    throw new ConfigError(
      `${name} outChannels`,
      spec.outChannels,
      `a multiple of 4·${groups} whose branch (${branchChannels} channels) splits into ${groups} groups`,
    );
  }
  const shuffle = (t: tf.SymbolicTensor) =>
    groups === 1
      ? t
      : (new ChannelShuffle({
          name: `${name}.channel_shuffle`,
          // megvii's reshape to (C/g, g) is the paper's shuffle with C/g "groups": its inverse.
          groups: order === 'paper' ? groups : mid / groups,
        }).apply(t) as tf.SymbolicTensor);

  const branch = (
    input: tf.SymbolicTensor,
    after3x3: (t: tf.SymbolicTensor) => tf.SymbolicTensor,
  ) => {
    let y = convBn(input, {
      name: `${name}.branch_main_1.0`,
      bnName: `${name}.branch_main_1.1`,
      filters: mid,
      kernelSize: 1,
      groups: spec.groupFirst ? groups : 1,
      activation: 'relu',
      activationName: `${name}.branch_main_1.2`,
    });
    if (order === 'paper') y = shuffle(y);
    y = convBn(y, {
      name: `${name}.branch_main_1.3`,
      bnName: `${name}.branch_main_1.4`,
      filters: mid,
      kernelSize: 3,
      strides: stride,
      groups: mid,
    });
    if (order === 'megvii') y = shuffle(y);
    return convBn(after3x3(y), {
      name: `${name}.branch_main_2.0`,
      bnName: `${name}.branch_main_2.1`,
      filters: branchChannels,
      kernelSize: 1,
      groups,
    });
  };

  if (stride === 1) {
    if (inChannels !== spec.outChannels) {
      throw new ConfigError(
        `${name} outChannels`,
        spec.outChannels,
        `the ${inChannels} input channels: a stride-1 unit adds its input`,
      );
    }
    return residualUnit(x, { name, se, branch });
  }
  // The stride-2 unit: residualUnit's SE positions, with a concatenation for the addition.
  const at = (position: SEPosition, t: tf.SymbolicTensor) => seAt(t, se, position, `${name}.se`);
  const residual = at(
    'standard',
    branch(at('pre', x), (t) => at('3x3', t)),
  );
  const pooled = new Pool2D({
    name: `${name}.branch_proj`,
    mode: 'avg',
    poolSize: 3,
    strides: 2,
    padding: 1,
  }).apply(x) as tf.SymbolicTensor;
  const joined = tf.layers
    .concatenate({ name: `${name}.concat` })
    .apply([at('identity', pooled), residual]) as tf.SymbolicTensor;
  return at('post', activation(joined, 'relu', `${name}.act`));
}

/** Options of the ShuffleNet v1 factories: Keras's, plus the group count, width and shuffle. */
export interface ShuffleNetV1Options extends ModelOptions {
  /** Groups g of the 1×1 convolutions: 1, 2, 3 (default), 4 or 8. */
  groups?: ShuffleNetGroups;
  /** Width multiplier s: 0.5, 1 (default) or 2. */
  width?: ShuffleNetWidth;
  /** Channel shuffle convention (default `'paper'`; `'megvii'` to load official weights). */
  shuffleOrder?: ShuffleOrder;
}

const EXTRA_KEYS = ['groups', 'width', 'shuffleOrder'] as const;

/**
 * The SE settings of a ShuffleNet for `se` (⌊C/16⌋ hidden units; `se.stages` counts the three
 * stages from 1, so `[1, 2, 3]` are the paper's stages 2, 3 and 4), or null for the plain
 * network.
 *
 * @example
 * ```ts
 * import { resolveShuffleNetSE } from '@se/shufflenet';
 *
 * resolveShuffleNetSE({ stages: [3] }, true)?.block.reduction; // 16
 * ```
 */
export function resolveShuffleNetSE(
  se: ModelOptions['se'],
  enabledByDefault: boolean,
): ResolvedSE | null {
  return resolveFamilySE(se, enabledByDefault, { stages: STAGE_UNITS.length });
}

/** How a registered name spells each width. */
const WIDTH_SUFFIX = { 0.5: '_050', 1: '', 2: '_200' } as const;

/** The registered name of a configuration: `shufflenet_v1_g3`, `se_shufflenet_v1_g8_050`. */
function shuffleNetName<S extends boolean>(
  groups: ShuffleNetGroups,
  width: ShuffleNetWidth,
  se: S,
): `${S extends true ? 'se_' : ''}shufflenet_v1_g${ShuffleNetGroups}${(typeof WIDTH_SUFFIX)[ShuffleNetWidth]}` {
  return `${se ? 'se_' : ''}shufflenet_v1_g${groups}${WIDTH_SUFFIX[width]}` as ReturnType<
    typeof shuffleNetName<S>
  >;
}

/**
 * Builds ShuffleNet v1 (or SE-ShuffleNet) from Keras-style options; SE is on when `se` is given
 * or when `seByDefault` and `se` is omitted.
 *
 * @example
 * ```ts
 * import { buildShuffleNetV1 } from '@se/shufflenet';
 *
 * const model = buildShuffleNetV1({ groups: 8, width: 0.5, classes: 10 }, true);
 * ```
 */
export function buildShuffleNetV1(
  options: ShuffleNetV1Options = {},
  seByDefault = false,
  defaultName?: string,
): tf.LayersModel {
  const resolved = resolveModelOptions(options, SHUFFLENET_LIMITS, EXTRA_KEYS);
  const groups = options.groups ?? 3;
  if (!(SHUFFLENET_GROUPS as readonly number[]).includes(groups)) {
    throw new ConfigError('groups', groups, `one of ${SHUFFLENET_GROUPS.join(', ')}`);
  }
  const width = options.width ?? 1;
  if (!(SHUFFLENET_WIDTHS as readonly number[]).includes(width)) {
    throw new ConfigError('width', width, `one of ${SHUFFLENET_WIDTHS.join(', ')}`);
  }
  const shuffleOrder = checkChoice('shuffleOrder', options.shuffleOrder ?? 'paper', [
    'paper',
    'megvii',
  ] as const);
  const se = resolveShuffleNetSE(options.se, seByDefault);
  const channels = shuffleNetChannels(groups, width);

  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = convBn(input, {
    name: 'first_conv.0',
    bnName: 'first_conv.1',
    filters: channels.stem,
    kernelSize: 3,
    strides: 2,
    activation: 'relu',
    activationName: 'first_conv.2',
  });
  x = new Pool2D({ name: 'maxpool', mode: 'max', poolSize: 3, strides: 2, padding: 1 }).apply(
    x,
  ) as tf.SymbolicTensor;
  let index = 0;
  for (const [stage, units] of STAGE_UNITS.entries()) {
    for (let i = 0; i < units; i++) {
      x = shuffleUnit(x, {
        name: `features.${index++}`,
        outChannels: channels.stages[stage] ?? 0,
        groups,
        stride: i === 0 ? 2 : 1,
        groupFirst: !(stage === 0 && i === 0),
        shuffleOrder,
        se: seForStage(se, stage + 1),
      });
    }
  }
  let output: tf.SymbolicTensor;
  if (resolved.includeTop) {
    // megvii's head: global average pooling and a bias-free linear classifier.
    const pooled = (
      resolved.pooling === 'max'
        ? tf.layers.globalMaxPooling2d({ name: 'globalpool' })
        : tf.layers.globalAveragePooling2d({ name: 'globalpool' })
    ).apply(x) as tf.SymbolicTensor;
    const logits = tf.layers
      .dense({ units: resolved.classes, useBias: false, name: 'classifier.0' })
      .apply(pooled) as tf.SymbolicTensor;
    output = activation(
      logits,
      resolved.classifierActivation,
      `classifier_${resolved.classifierActivation}`,
    );
  } else {
    output = classifierHead(x, resolved, { pool: 'globalpool', classifier: 'classifier.0' });
  }
  const name = resolved.name ?? defaultName ?? shuffleNetName(groups, width, se !== null);
  return tf.model({ inputs: input, outputs: output, name });
}

/**
 * ShuffleNet v1 with any group count and width (default 1× with g = 3: 1,864,728 parameters,
 * 137.5 M MACs at 224²); plain unless `se` is given.
 *
 * @example
 * ```ts
 * import { shuffleNetV1 } from '@se/shufflenet';
 *
 * const model = shuffleNetV1({ groups: 8, width: 2, classes: 10, inputShape: [64, 64, 3] });
 * ```
 */
export function shuffleNetV1(options: ShuffleNetV1Options = {}): tf.LayersModel {
  return buildShuffleNetV1(options, false);
}

/**
 * SE-ShuffleNet v1 (SE paper Table 3 for 1× g = 3: 142 MFLOPs, 2.4M parameters): an SE block
 * on every unit's branch; `se: false` gives the plain baseline.
 *
 * @example
 * ```ts
 * import { seShuffleNetV1 } from '@se/shufflenet';
 *
 * const model = seShuffleNetV1({ classes: 100, inputShape: [96, 96, 3] });
 * const postAddition = seShuffleNetV1({ se: { position: 'post' } }); // SE-POST (paper Fig. 5)
 * ```
 */
export function seShuffleNetV1(options: ShuffleNetV1Options = {}): tf.LayersModel {
  return buildShuffleNetV1(options, true);
}

/** SE paper Table 3 (MFLOPs are multiply–accumulates), for 1× g = 3 only. */
const PAPER_GMACS = { plain: 0.14, se: 0.142 } as const;

/** The registry table: every group count and width, plain and with SE. */
const SHUFFLENET_MODELS: Record<ShuffleNetModelName, FamilyModel> = Object.fromEntries(
  SHUFFLENET_GROUPS.flatMap((groups) =>
    SHUFFLENET_WIDTHS.flatMap((width) =>
      Object.entries(
        twinModels({
          plain: shuffleNetName(groups, width, false),
          se: shuffleNetName(groups, width, true),
          build: (options: ModelOptions, seByDefault, name) =>
            buildShuffleNetV1({ ...options, groups, width }, seByDefault, name),
          description: {
            plain: `ShuffleNet v1 ${width}× (g = ${groups}), as megvii ShuffleNetV1`,
            se: `SE-ShuffleNet v1 ${width}× (g = ${groups}), SE on every branch (SE paper Table 3)`,
          },
          ...(groups === 3 && width === 1
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
  ),
) as Record<ShuffleNetModelName, FamilyModel>;

/** The registered name of a model of this package (`shufflenet_v1_g3`, …). */
export type ShuffleNetModelName =
  `${'' | 'se_'}shufflenet_v1_g${ShuffleNetGroups}${'' | '_050' | '_200'}`;

/** Every {@link ShuffleNetModelName}, as registered. */
export const SHUFFLENET_MODEL_NAMES = Object.keys(
  SHUFFLENET_MODELS,
) as readonly ShuffleNetModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<ShuffleNetModelName, true> {}
}

registerFamily({
  family: 'shufflenet',
  package: '@se/shufflenet',
  limits: SHUFFLENET_LIMITS,
  models: SHUFFLENET_MODELS,
});
