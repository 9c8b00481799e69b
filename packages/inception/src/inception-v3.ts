/**
 * Inception-v3 exact to timm's `inception_v3` (no auxiliary classifier, as timm builds it by
 * default): every convolution is timm's `ConvNormAct` — convolution without bias (`.conv`),
 * BN with eps 1e-3 (`.bn`), ReLU — the pooling branches average over 3×3 windows whose divisor
 * counts the padding, and the classifier is `fc`. SE-Inception-v3 adds an SE block after every
 * Inception module's concatenation (`Mixed_5b.se` …), as the Keras zoo's SE-Inception-v3
 * (titu1994/keras-squeeze-excite-network) does and as the paper's Fig. 2 draws it; the blocks are
 * ⌊C/16⌋ wide with biases (pass `se: { bias: false }` for the Keras zoo's bias-free FC layers).
 */

import {
  type ArchitectureLimits,
  classifierHead,
  concatBranches,
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
export const INCEPTION_V3_LIMITS: ArchitectureLimits = {
  defaultInputShape: [299, 299, 3],
  minInputSize: 75,
};

/** timm's `F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)` (count_include_pad=True). */
function avgPool3x3(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return new Pool2D({ name, mode: 'avg', poolSize: 3, strides: 1, padding: 1 }).apply(
    x,
  ) as tf.SymbolicTensor;
}

/** timm's `F.max_pool2d(x, kernel_size=3, stride=2)`. */
function maxPool3x3s2(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return new Pool2D({ name, mode: 'max', poolSize: 3, strides: 2 }).apply(x) as tf.SymbolicTensor;
}

/** Inception-A (35×35): 1×1; 1×1 → 5×5; 1×1 → 3×3 → 3×3; avg pool → 1×1 (`poolFeatures`). */
function inceptionA(x: tf.SymbolicTensor, p: string, poolFeatures: number): tf.SymbolicTensor {
  const b1 = convNormAct(x, `${p}.branch1x1`, 64, 1);
  const b5 = convNormAct(
    convNormAct(x, `${p}.branch5x5_1`, 48, 1),
    `${p}.branch5x5_2`,
    64,
    5,
    1,
    2,
  );
  let b3 = convNormAct(x, `${p}.branch3x3dbl_1`, 64, 1);
  b3 = convNormAct(b3, `${p}.branch3x3dbl_2`, 96, 3, 1, 1);
  b3 = convNormAct(b3, `${p}.branch3x3dbl_3`, 96, 3, 1, 1);
  const bp = convNormAct(avgPool3x3(x, `${p}.avg_pool`), `${p}.branch_pool`, poolFeatures, 1);
  return concatBranches([b1, b5, b3, bp], `${p}.cat`);
}

/** Inception-B (35 → 17): 3×3/2; 1×1 → 3×3 → 3×3/2; 3×3/2 max pool. */
function inceptionB(x: tf.SymbolicTensor, p: string): tf.SymbolicTensor {
  const b3 = convNormAct(x, `${p}.branch3x3`, 384, 3, 2);
  let bd = convNormAct(x, `${p}.branch3x3dbl_1`, 64, 1);
  bd = convNormAct(bd, `${p}.branch3x3dbl_2`, 96, 3, 1, 1);
  bd = convNormAct(bd, `${p}.branch3x3dbl_3`, 96, 3, 2);
  return concatBranches([b3, bd, maxPool3x3s2(x, `${p}.max_pool`)], `${p}.cat`);
}

/** Inception-C (17×17) with factorised 7×7 convolutions of width `c7`. */
function inceptionC(x: tf.SymbolicTensor, p: string, c7: number): tf.SymbolicTensor {
  const b1 = convNormAct(x, `${p}.branch1x1`, 192, 1);
  let b7 = convNormAct(x, `${p}.branch7x7_1`, c7, 1);
  b7 = convNormAct(b7, `${p}.branch7x7_2`, c7, [1, 7]);
  b7 = convNormAct(b7, `${p}.branch7x7_3`, 192, [7, 1]);
  let bd = convNormAct(x, `${p}.branch7x7dbl_1`, c7, 1);
  bd = convNormAct(bd, `${p}.branch7x7dbl_2`, c7, [7, 1]);
  bd = convNormAct(bd, `${p}.branch7x7dbl_3`, c7, [1, 7]);
  bd = convNormAct(bd, `${p}.branch7x7dbl_4`, c7, [7, 1]);
  bd = convNormAct(bd, `${p}.branch7x7dbl_5`, 192, [1, 7]);
  const bp = convNormAct(avgPool3x3(x, `${p}.avg_pool`), `${p}.branch_pool`, 192, 1);
  return concatBranches([b1, b7, bd, bp], `${p}.cat`);
}

/** Inception-D (17 → 8): 1×1 → 3×3/2; 1×1 → 1×7 → 7×1 → 3×3/2; 3×3/2 max pool. */
function inceptionD(x: tf.SymbolicTensor, p: string): tf.SymbolicTensor {
  const b3 = convNormAct(convNormAct(x, `${p}.branch3x3_1`, 192, 1), `${p}.branch3x3_2`, 320, 3, 2);
  let b7 = convNormAct(x, `${p}.branch7x7x3_1`, 192, 1);
  b7 = convNormAct(b7, `${p}.branch7x7x3_2`, 192, [1, 7]);
  b7 = convNormAct(b7, `${p}.branch7x7x3_3`, 192, [7, 1]);
  b7 = convNormAct(b7, `${p}.branch7x7x3_4`, 192, 3, 2);
  return concatBranches([b3, b7, maxPool3x3s2(x, `${p}.max_pool`)], `${p}.cat`);
}

/** Inception-E (8×8): 1×1; 1×1 → (1×3 ‖ 3×1); 1×1 → 3×3 → (1×3 ‖ 3×1); avg pool → 1×1. */
function inceptionE(x: tf.SymbolicTensor, p: string): tf.SymbolicTensor {
  const b1 = convNormAct(x, `${p}.branch1x1`, 320, 1);
  const s = convNormAct(x, `${p}.branch3x3_1`, 384, 1);
  const b3 = concatBranches(
    [
      convNormAct(s, `${p}.branch3x3_2a`, 384, [1, 3]),
      convNormAct(s, `${p}.branch3x3_2b`, 384, [3, 1]),
    ],
    `${p}.branch3x3_cat`,
  );
  let d = convNormAct(x, `${p}.branch3x3dbl_1`, 448, 1);
  d = convNormAct(d, `${p}.branch3x3dbl_2`, 384, 3, 1, 1);
  const bd = concatBranches(
    [
      convNormAct(d, `${p}.branch3x3dbl_3a`, 384, [1, 3]),
      convNormAct(d, `${p}.branch3x3dbl_3b`, 384, [3, 1]),
    ],
    `${p}.branch3x3dbl_cat`,
  );
  const bp = convNormAct(avgPool3x3(x, `${p}.avg_pool`), `${p}.branch_pool`, 192, 1);
  return concatBranches([b1, b3, bd, bp], `${p}.cat`);
}

/** The eleven Inception modules of Inception-v3: name, stage (35², 17², 8²) and builder. */
const MODULES: [string, 1 | 2 | 3, (x: tf.SymbolicTensor, p: string) => tf.SymbolicTensor][] = [
  ['Mixed_5b', 1, (x, p) => inceptionA(x, p, 32)],
  ['Mixed_5c', 1, (x, p) => inceptionA(x, p, 64)],
  ['Mixed_5d', 1, (x, p) => inceptionA(x, p, 64)],
  ['Mixed_6a', 2, inceptionB],
  ['Mixed_6b', 2, (x, p) => inceptionC(x, p, 128)],
  ['Mixed_6c', 2, (x, p) => inceptionC(x, p, 160)],
  ['Mixed_6d', 2, (x, p) => inceptionC(x, p, 160)],
  ['Mixed_6e', 2, (x, p) => inceptionC(x, p, 192)],
  ['Mixed_7a', 3, inceptionD],
  ['Mixed_7b', 3, inceptionE],
  ['Mixed_7c', 3, inceptionE],
];

/**
 * Builds Inception-v3 (`se: false`, the default) or SE-Inception-v3 (`se: true` or SE options).
 *
 * @example
 * ```ts
 * import { buildInceptionV3 } from '@se/inception';
 *
 * // SE only in the 17×17 and 8×8 modules.
 * const model = buildInceptionV3({ se: { stages: [2, 3] } });
 * ```
 */
export function buildInceptionV3(
  options: ModelOptions = {},
  enabledByDefault = false,
  defaultName = enabledByDefault ? 'se_inception_v3' : 'inception_v3',
): tf.LayersModel {
  const resolved = resolveModelOptions(options, INCEPTION_V3_LIMITS);
  const se: ResolvedSE | null = resolveInceptionSE(options.se, enabledByDefault);
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = convNormAct(input, 'Conv2d_1a_3x3', 32, 3, 2);
  x = convNormAct(x, 'Conv2d_2a_3x3', 32, 3);
  x = convNormAct(x, 'Conv2d_2b_3x3', 64, 3, 1, 1);
  x = maxPool3x3s2(x, 'Pool1');
  x = convNormAct(x, 'Conv2d_3b_1x1', 80, 1);
  x = convNormAct(x, 'Conv2d_4a_3x3', 192, 3);
  x = maxPool3x3s2(x, 'Pool2');
  for (const [name, stage, build] of MODULES) {
    x = seAt(build(x, name), seForStage(se, stage), 'standard', `${name}.se`);
  }
  const output = classifierHead(x, resolved, { classifier: 'fc' });
  return tf.model({ inputs: input, outputs: output, name: resolved.name ?? defaultName });
}

/** The registry rows of Inception-v3 and SE-Inception-v3. */
const INCEPTION_V3_MODELS: Record<InceptionV3ModelName, FamilyModel> = twinModels({
  plain: 'inception_v3',
  se: 'se_inception_v3',
  build: buildInceptionV3,
  description: {
    plain: 'Inception-v3, exact to timm inception_v3 (no auxiliary classifier)',
    se: 'SE-Inception-v3: timm inception_v3 with SE after every Inception module (Keras zoo placement)',
  },
});

/** The registered names of Inception-v3 and its SE twin. */
export type InceptionV3ModelName = 'inception_v3' | 'se_inception_v3';

/** Every {@link InceptionV3ModelName}, as registered. */
export const INCEPTION_V3_MODEL_NAMES = Object.keys(
  INCEPTION_V3_MODELS,
) as readonly InceptionV3ModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<InceptionV3ModelName, true> {}
}

const INCEPTION = registerFamily({
  family: 'inception',
  package: '@se/inception',
  limits: INCEPTION_V3_LIMITS,
  models: INCEPTION_V3_MODELS,
});

/**
 * Inception-v3 exact to timm's `inception_v3`: 23,834,568 parameters.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { inceptionV3 } from '@se/inception';
 *
 * const model = inceptionV3({ classes: 10, classifierActivation: 'linear' });
 * ```
 * @function
 */
export const inceptionV3 = INCEPTION.inception_v3;

/**
 * SE-Inception-v3: timm's `inception_v3` with an SE block (r = 16) after each of its eleven
 * Inception modules; 25,496,188 parameters.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seInceptionV3 } from '@se/inception';
 *
 * const model = seInceptionV3({ inputShape: [null, null, 3], includeTop: false, pooling: 'avg' });
 * ```
 * @function
 */
export const seInceptionV3 = INCEPTION.se_inception_v3;
