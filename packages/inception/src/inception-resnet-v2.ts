/**
 * Inception-ResNet-v2 exact to timm's `inception_resnet_v2`: `ConvNormAct` units (convolution
 * without bias, BN eps 1e-3, ReLU), residual blocks Block35 ×10, Block17 ×20 and Block8 ×9 whose
 * 1×1 up-projection `conv2d` has a bias and is scaled by 0.17, 0.10 and 0.20 before the addition,
 * and a last Block8 (`block8`) with scale 1 and no ReLU. The stem's Mixed_5b average-pools
 * without counting the padding (`count_include_pad=False`).
 *
 * SE-Inception-ResNet-v2 puts an SE block on the residual branch of every residual block, after
 * the up-projection and before the scaled addition (the paper's Fig. 3 pattern):
 * `out = relu(x + scale · SE(conv2d(concat(branches))))`.
 */

import {
  type ArchitectureLimits,
  classifierHead,
  concatBranches,
  conv2d,
  convNormAct,
  type FamilyModel,
  type ModelOptions,
  Pool2D,
  type ResolvedSE,
  registerFamily,
  resolveModelOptions,
  seAt,
  seForStage,
  twinModels,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { resolveInceptionSE } from './common.js';

/** 299² as timm; 75² is the smallest input whose every unpadded convolution and pool fits. */
export const INCEPTION_RESNET_V2_LIMITS: ArchitectureLimits = {
  defaultInputShape: [299, 299, 3],
  minInputSize: 75,
};

/** Residual scales of timm's Block35, Block17 and Block8 (the last `block8` uses 1). */
export const RESIDUAL_SCALES = {
  /** Block35 (35×35, 320 channels). */
  block35: 0.17,
  /** Block17 (17×17, 1088 channels). */
  block17: 0.1,
  /** Block8 (8×8, 2080 channels), except the final `block8`. */
  block8: 0.2,
} as const;

function maxPool3x3s2(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return new Pool2D({ name, mode: 'max', poolSize: 3, strides: 2 }).apply(x) as tf.SymbolicTensor;
}

/** What a residual block of the network is made of. */
export interface ResidualBlockSpec {
  /** Module path, e.g. `repeat.0` or `block8`. */
  name: string;
  /** Builds the parallel branches of the block from its input (concatenated in order). */
  branches: (x: tf.SymbolicTensor) => tf.SymbolicTensor[];
  /** The residual scale (timm's `scale`). */
  scale: number;
  /** Whether a ReLU follows the addition (false only for the final `block8`). */
  relu: boolean;
  /** SE settings, or null for the plain block. */
  se: ResolvedSE | null;
}

/**
 * An Inception-ResNet block: `act(x + scale · SE(conv2d(concat(branches(x)))))`, where
 * `conv2d` (with bias) projects back to the input's width. Layers: `${name}.cat`,
 * `${name}.conv2d`, `${name}.se`, `${name}.scale`, `${name}.add`, `${name}.act`.
 *
 * @example
 * ```ts
 * import { inceptionResNetBlock } from '@se/inception';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const x = tf.input({ shape: [8, 8, 16] });
 * const y = inceptionResNetBlock(x, {
 *   name: 'block',
 *   branches: (input) => [tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(input) as tf.SymbolicTensor],
 *   scale: 0.5,
 *   relu: true,
 *   se: null,
 * }); // [8, 8, 16]
 * ```
 */
export function inceptionResNetBlock(
  x: tf.SymbolicTensor,
  spec: ResidualBlockSpec,
): tf.SymbolicTensor {
  const { name } = spec;
  const branches = spec.branches(x);
  const mixed =
    branches.length === 1
      ? (branches[0] as tf.SymbolicTensor)
      : concatBranches(branches, `${name}.cat`);
  let residual = conv2d(mixed, {
    name: `${name}.conv2d`,
    filters: x.shape[3] ?? 0,
    kernelSize: 1,
    useBias: true,
  });
  residual = seAt(residual, spec.se, 'standard', `${name}.se`);
  if (spec.scale !== 1) {
    residual = tf.layers
      .rescaling({ scale: spec.scale, offset: 0, name: `${name}.scale` })
      .apply(residual) as tf.SymbolicTensor;
  }
  const sum = tf.layers.add({ name: `${name}.add` }).apply([x, residual]) as tf.SymbolicTensor;
  if (!spec.relu) return sum;
  return tf.layers
    .activation({ activation: 'relu', name: `${name}.act` })
    .apply(sum) as tf.SymbolicTensor;
}

/** Block35 branches (35×35 grid, 320 channels). */
function block35(p: string) {
  return (x: tf.SymbolicTensor) => [
    convNormAct(x, `${p}.branch0`, 32, 1),
    convNormAct(convNormAct(x, `${p}.branch1.0`, 32, 1), `${p}.branch1.1`, 32, 3, 1, 1),
    convNormAct(
      convNormAct(convNormAct(x, `${p}.branch2.0`, 32, 1), `${p}.branch2.1`, 48, 3, 1, 1),
      `${p}.branch2.2`,
      64,
      3,
      1,
      1,
    ),
  ];
}

/** Block17 branches (17×17 grid, 1088 channels). */
function block17(p: string) {
  return (x: tf.SymbolicTensor) => {
    let b1 = convNormAct(x, `${p}.branch1.0`, 128, 1);
    b1 = convNormAct(b1, `${p}.branch1.1`, 160, [1, 7]);
    b1 = convNormAct(b1, `${p}.branch1.2`, 192, [7, 1]);
    return [convNormAct(x, `${p}.branch0`, 192, 1), b1];
  };
}

/** Block8 branches (8×8 grid, 2080 channels). */
function block8(p: string) {
  return (x: tf.SymbolicTensor) => {
    let b1 = convNormAct(x, `${p}.branch1.0`, 192, 1);
    b1 = convNormAct(b1, `${p}.branch1.1`, 224, [1, 3]);
    b1 = convNormAct(b1, `${p}.branch1.2`, 256, [3, 1]);
    return [convNormAct(x, `${p}.branch0`, 192, 1), b1];
  };
}

/** Mixed_5b: the stem's last module (192 → 320 channels). */
function mixed5b(x: tf.SymbolicTensor): tf.SymbolicTensor {
  const p = 'mixed_5b';
  const b0 = convNormAct(x, `${p}.branch0`, 96, 1);
  const b1 = convNormAct(convNormAct(x, `${p}.branch1.0`, 48, 1), `${p}.branch1.1`, 64, 5, 1, 2);
  let b2 = convNormAct(x, `${p}.branch2.0`, 64, 1);
  b2 = convNormAct(b2, `${p}.branch2.1`, 96, 3, 1, 1);
  b2 = convNormAct(b2, `${p}.branch2.2`, 96, 3, 1, 1);
  const pooled = new Pool2D({
    name: `${p}.branch3.0`,
    mode: 'avg',
    poolSize: 3,
    strides: 1,
    padding: 1,
    countIncludePad: false,
  }).apply(x) as tf.SymbolicTensor;
  const b3 = convNormAct(pooled, `${p}.branch3.1`, 64, 1);
  return concatBranches([b0, b1, b2, b3], `${p}.cat`);
}

/** Mixed_6a: 35 → 17 (320 → 1088 channels). */
function mixed6a(x: tf.SymbolicTensor): tf.SymbolicTensor {
  const p = 'mixed_6a';
  const b0 = convNormAct(x, `${p}.branch0`, 384, 3, 2);
  let b1 = convNormAct(x, `${p}.branch1.0`, 256, 1);
  b1 = convNormAct(b1, `${p}.branch1.1`, 256, 3, 1, 1);
  b1 = convNormAct(b1, `${p}.branch1.2`, 384, 3, 2);
  return concatBranches([b0, b1, maxPool3x3s2(x, `${p}.branch2`)], `${p}.cat`);
}

/** Mixed_7a: 17 → 8 (1088 → 2080 channels). */
function mixed7a(x: tf.SymbolicTensor): tf.SymbolicTensor {
  const p = 'mixed_7a';
  const b0 = convNormAct(convNormAct(x, `${p}.branch0.0`, 256, 1), `${p}.branch0.1`, 384, 3, 2);
  const b1 = convNormAct(convNormAct(x, `${p}.branch1.0`, 256, 1), `${p}.branch1.1`, 288, 3, 2);
  let b2 = convNormAct(x, `${p}.branch2.0`, 256, 1);
  b2 = convNormAct(b2, `${p}.branch2.1`, 288, 3, 1, 1);
  b2 = convNormAct(b2, `${p}.branch2.2`, 320, 3, 2);
  return concatBranches([b0, b1, b2, maxPool3x3s2(x, `${p}.branch3`)], `${p}.cat`);
}

/**
 * Builds Inception-ResNet-v2 (`se: false`, the default) or SE-Inception-ResNet-v2 (`se: true`
 * or SE options; stages 1/2/3 are the Block35/Block17/Block8 repeats).
 *
 * @example
 * ```ts
 * import { buildInceptionResNetV2 } from '@se/inception';
 *
 * const model = buildInceptionResNetV2({ se: { reduction: 8 }, inputShape: [149, 149, 3] });
 * ```
 */
export function buildInceptionResNetV2(
  options: ModelOptions = {},
  enabledByDefault = false,
  defaultName = enabledByDefault ? 'se_inception_resnet_v2' : 'inception_resnet_v2',
): tf.LayersModel {
  const resolved = resolveModelOptions(options, INCEPTION_RESNET_V2_LIMITS);
  const se = resolveInceptionSE(options.se, enabledByDefault);
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = convNormAct(input, 'conv2d_1a', 32, 3, 2);
  x = convNormAct(x, 'conv2d_2a', 32, 3);
  x = convNormAct(x, 'conv2d_2b', 64, 3, 1, 1);
  x = maxPool3x3s2(x, 'maxpool_3a');
  x = convNormAct(x, 'conv2d_3b', 80, 1);
  x = convNormAct(x, 'conv2d_4a', 192, 3);
  x = maxPool3x3s2(x, 'maxpool_5a');
  x = mixed5b(x);
  const repeat = (
    prefix: string,
    count: number,
    branches: typeof block35,
    scale: number,
    stage: number,
  ) => {
    for (let i = 0; i < count; i++) {
      const name = `${prefix}.${i}`;
      x = inceptionResNetBlock(x, {
        name,
        branches: branches(name),
        scale,
        relu: true,
        se: seForStage(se, stage),
      });
    }
  };
  repeat('repeat', 10, block35, RESIDUAL_SCALES.block35, 1);
  x = mixed6a(x);
  repeat('repeat_1', 20, block17, RESIDUAL_SCALES.block17, 2);
  x = mixed7a(x);
  repeat('repeat_2', 9, block8, RESIDUAL_SCALES.block8, 3);
  x = inceptionResNetBlock(x, {
    name: 'block8',
    branches: block8('block8'),
    scale: 1,
    relu: false,
    se: seForStage(se, 3),
  });
  x = convNormAct(x, 'conv2d_7b', 1536, 1);
  const output = classifierHead(x, resolved, { classifier: 'classif' });
  return tf.model({ inputs: input, outputs: output, name: resolved.name ?? defaultName });
}

/** The registry rows of Inception-ResNet-v2 and SE-Inception-ResNet-v2. */
const INCEPTION_RESNET_V2_MODELS: Record<InceptionResNetV2ModelName, FamilyModel> = twinModels({
  plain: 'inception_resnet_v2',
  se: 'se_inception_resnet_v2',
  build: buildInceptionResNetV2,
  description: {
    plain: 'Inception-ResNet-v2, exact to timm inception_resnet_v2',
    se: 'SE-Inception-ResNet-v2: timm inception_resnet_v2 with SE on every residual branch before the scaled addition',
  },
  paper: {
    plain: { gmacs: 11.75, table: 'Table 2' },
    se: { gmacs: 11.76, table: 'Table 2' },
  },
});

/** The registered names of Inception-ResNet-v2 and its SE twin. */
export type InceptionResNetV2ModelName = 'inception_resnet_v2' | 'se_inception_resnet_v2';

/** Every {@link InceptionResNetV2ModelName}, as registered. */
export const INCEPTION_RESNET_V2_MODEL_NAMES = Object.keys(
  INCEPTION_RESNET_V2_MODELS,
) as readonly InceptionResNetV2ModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<InceptionResNetV2ModelName, true> {}
}

const INCEPTION = registerFamily({
  family: 'inception',
  package: '@se/inception',
  limits: INCEPTION_RESNET_V2_LIMITS,
  models: INCEPTION_RESNET_V2_MODELS,
});

/**
 * Inception-ResNet-v2 exact to timm's `inception_resnet_v2`: 55,843,464 parameters.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { inceptionResNetV2 } from '@se/inception';
 *
 * const model = inceptionResNetV2({ classes: 10 });
 * ```
 * @function
 */
export const inceptionResNetV2 = INCEPTION.inception_resnet_v2;

/**
 * SE-Inception-ResNet-v2: SE (r = 16) on the residual branch of all 40 residual blocks of
 * timm's `inception_resnet_v2`.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seInceptionResNetV2 } from '@se/inception';
 *
 * const model = seInceptionResNetV2({ includeTop: false, pooling: 'avg' }); // 1536 features
 * ```
 * @function
 */
export const seInceptionResNetV2 = INCEPTION.se_inception_resnet_v2;
