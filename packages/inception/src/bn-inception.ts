/**
 * BN-Inception and SE-BN-Inception exactly as the SENet Caffe release's
 * `models/SE-BN-Inception.prototxt` (hujie-frank/SENet): the same modules and widths, convolutions
 * without bias followed by BN (Caffe's BatchNorm + Scale: one γ and β per channel), max pools
 * that round their output size up (Caffe always does), 3×3 average pools whose divisor counts
 * the padding, and an SE block after every module's concatenation (paper Fig. 2), ⌊C/16⌋ wide.
 *
 * Layer names are those of Cadene's `pretrainedmodels` `bninception.py` (`conv1_7x7_s2`,
 * `inception_3a_1x1`, `inception_3a_1x1_bn`, `inception_3a_double_3x3_1`, …), so a Caffe model
 * converted to a PyTorch `state_dict` maps by name. The SE block of module `3a` is
 * `inception_3a_se` (`fc1` is the prototxt's `inception_3a_1x1_down`, `fc2` its
 * `inception_3a_1x1_up`).
 */

import {
  type ArchitectureLimits,
  checkInputSizes,
  classifierHead,
  concatBranches,
  convBn,
  type FamilyModel,
  type ModelOptions,
  Pool2D,
  type ResolvedSE,
  registerFamily,
  resolveModelOptions,
  seAt,
  seForStage,
  twinModels,
  windowOutput,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { resolveInceptionSE } from './common.js';

/**
 * An Inception module of BN-Inception (Ioffe & Szegedy 2015, Fig. 5 with its Table 1 widths):
 * `'basic'` has four branches at stride 1; `'reduction'` halves the resolution with three.
 */
export type BnInceptionModule =
  | {
      /** Four branches: 1×1; 1×1 → 3×3; 1×1 → 3×3 → 3×3; 3×3 pool → 1×1. */
      kind: 'basic';
      /** Module id, e.g. `3a`. */
      id: string;
      /** Width of the 1×1 branch. */
      conv1x1: number;
      /** Widths of the 3×3 branch: `[reduce, 3×3]`. */
      conv3x3: [number, number];
      /** Widths of the double-3×3 branch: `[reduce, first 3×3, second 3×3]`. */
      double3x3: [number, number, number];
      /** The pool of the fourth branch (`5b` max-pools, the others average). */
      pool: 'avg' | 'max';
      /** Width of the 1×1 projection after the pool. */
      poolProj: number;
    }
  | {
      /** Three branches at stride 2: 1×1 → 3×3/2; 1×1 → 3×3 → 3×3/2; 3×3/2 max pool. */
      kind: 'reduction';
      /** Module id, e.g. `3c`. */
      id: string;
      /** Widths of the 3×3 branch: `[reduce, 3×3/2]`. */
      conv3x3: [number, number];
      /** Widths of the double-3×3 branch: `[reduce, 3×3, 3×3/2]`. */
      double3x3: [number, number, number];
    };

/** The ten Inception modules, as transcribed from the prototxt (and Cadene's port). */
export const BN_INCEPTION_MODULES: readonly BnInceptionModule[] = [
  {
    kind: 'basic',
    id: '3a',
    conv1x1: 64,
    conv3x3: [64, 64],
    double3x3: [64, 96, 96],
    pool: 'avg',
    poolProj: 32,
  },
  {
    kind: 'basic',
    id: '3b',
    conv1x1: 64,
    conv3x3: [64, 96],
    double3x3: [64, 96, 96],
    pool: 'avg',
    poolProj: 64,
  },
  { kind: 'reduction', id: '3c', conv3x3: [128, 160], double3x3: [64, 96, 96] },
  {
    kind: 'basic',
    id: '4a',
    conv1x1: 224,
    conv3x3: [64, 96],
    double3x3: [96, 128, 128],
    pool: 'avg',
    poolProj: 128,
  },
  {
    kind: 'basic',
    id: '4b',
    conv1x1: 192,
    conv3x3: [96, 128],
    double3x3: [96, 128, 128],
    pool: 'avg',
    poolProj: 128,
  },
  {
    kind: 'basic',
    id: '4c',
    conv1x1: 160,
    conv3x3: [128, 160],
    double3x3: [128, 160, 160],
    pool: 'avg',
    poolProj: 128,
  },
  {
    kind: 'basic',
    id: '4d',
    conv1x1: 96,
    conv3x3: [128, 192],
    double3x3: [160, 192, 192],
    pool: 'avg',
    poolProj: 128,
  },
  { kind: 'reduction', id: '4e', conv3x3: [128, 192], double3x3: [192, 256, 256] },
  {
    kind: 'basic',
    id: '5a',
    conv1x1: 352,
    conv3x3: [192, 320],
    double3x3: [160, 224, 224],
    pool: 'avg',
    poolProj: 128,
  },
  {
    kind: 'basic',
    id: '5b',
    conv1x1: 352,
    conv3x3: [192, 320],
    double3x3: [192, 224, 224],
    pool: 'max',
    poolProj: 128,
  },
];

/**
 * Height (or width) of the feature maps along BN-Inception for an input `size`: after the stem
 * convolution, the two stem pools, and the two reduction modules — or null where the Caffe
 * network cannot take `size`. A reduction module concatenates a 3×3/2 convolution with padding 1
 * (⌈n/2⌉ outputs) and a ceil-mode 3×3/2 pool without padding (⌈(n − 1)/2⌉ outputs), which agree
 * only for even n; so valid sizes are 32k − 1 … 32k + 6 (k ≥ 1): 31…38, 63…70, …, 223…230, …
 *
 * @example
 * ```ts
 * import { bnInceptionFeatureSizes } from '@se/inception';
 *
 * bnInceptionFeatureSizes(224); // [112, 56, 28, 14, 7]
 * bnInceptionFeatureSizes(299); // null: the 3c concatenation would not fit
 * ```
 */
export function bnInceptionFeatureSizes(size: number): number[] | null {
  const conv1 = windowOutput(size, 7, 2, 3, 3) ?? 0;
  const pool1 = windowOutput(conv1, 3, 2, 0, 0, 1, true) ?? 0;
  const pool2 = windowOutput(pool1, 3, 2, 0, 0, 1, true) ?? 0;
  const sizes = [conv1, pool1, pool2];
  let n = pool2;
  for (let reduction = 0; reduction < 2; reduction++) {
    const conv = windowOutput(n, 3, 2, 1, 1) ?? 0;
    const pool = windowOutput(n, 3, 2, 0, 0, 1, true) ?? 0;
    if (n < 1 || conv < 1 || conv !== pool) return null;
    n = conv;
    sizes.push(n);
  }
  return sizes.every((s) => s >= 1) ? sizes : null;
}

/** The nearest sizes below and above `size` that BN-Inception accepts. */
function nearestValid(size: number): number[] {
  const near: number[] = [];
  for (let s = size - 1; s >= 1; s--) {
    if (bnInceptionFeatureSizes(s)) {
      near.push(s);
      break;
    }
  }
  for (let s = size + 1; ; s++) {
    if (bnInceptionFeatureSizes(s)) return [...near, s];
  }
}

/** 224² as in the release; 31² is the smallest input every layer and concatenation fits. */
export const BN_INCEPTION_LIMITS: ArchitectureLimits = {
  defaultInputShape: [224, 224, 3],
  minInputSize: 31,
};

/** Convolution (no bias) → BN → ReLU with Cadene's names: `name`, `${name}_bn`, `relu`. */
function unit(
  x: tf.SymbolicTensor,
  name: string,
  relu: string,
  filters: number,
  kernelSize: number,
  strides = 1,
): tf.SymbolicTensor {
  // Caffe pads these layers by ⌊k/2⌋ on every side, @se/core's default.
  return convBn(x, {
    name,
    bnName: `${name}_bn`,
    filters,
    kernelSize,
    strides,
    activation: 'relu',
    activationName: relu,
  });
}

/**
 * One BN-Inception module, with SE after its concatenation when `se` is set. Layer names follow
 * Cadene's `bninception.py`: `inception_3a_1x1`, `inception_3a_3x3_reduce`,
 * `inception_3a_double_3x3_1`, `inception_3a_pool`, `inception_3a_pool_proj`, the concatenation
 * `inception_3a_output`, SE `inception_3a_se`.
 *
 * @example
 * ```ts
 * import { BN_INCEPTION_MODULES, bnInceptionModule, resolveInceptionSE } from '@se/inception';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const x = tf.input({ shape: [28, 28, 192] });
 * const [module3a] = BN_INCEPTION_MODULES;
 * if (module3a) {
 *   const y = bnInceptionModule(x, module3a, resolveInceptionSE(true, true)); // [28, 28, 256]
 * }
 * ```
 */
export function bnInceptionModule(
  x: tf.SymbolicTensor,
  module: BnInceptionModule,
  se: ResolvedSE | null,
): tf.SymbolicTensor {
  const p = `inception_${module.id}`;
  const stride = module.kind === 'reduction' ? 2 : 1;
  const branches: tf.SymbolicTensor[] = [];
  if (module.kind === 'basic') {
    branches.push(unit(x, `${p}_1x1`, `${p}_relu_1x1`, module.conv1x1, 1));
  }
  const [reduce3x3, conv3x3] = module.conv3x3;
  const reduced = unit(x, `${p}_3x3_reduce`, `${p}_relu_3x3_reduce`, reduce3x3, 1);
  branches.push(unit(reduced, `${p}_3x3`, `${p}_relu_3x3`, conv3x3, 3, stride));
  const [reduceDouble, double1, double2] = module.double3x3;
  let d = unit(x, `${p}_double_3x3_reduce`, `${p}_relu_double_3x3_reduce`, reduceDouble, 1);
  d = unit(d, `${p}_double_3x3_1`, `${p}_relu_double_3x3_1`, double1, 3);
  branches.push(unit(d, `${p}_double_3x3_2`, `${p}_relu_double_3x3_2`, double2, 3, stride));
  if (module.kind === 'basic') {
    const pooled = new Pool2D({
      name: `${p}_pool`,
      mode: module.pool,
      poolSize: 3,
      strides: 1,
      padding: 1,
      ceilMode: true,
      countIncludePad: true, // Caffe's divisor counts the zero padding
    }).apply(x) as tf.SymbolicTensor;
    branches.push(unit(pooled, `${p}_pool_proj`, `${p}_relu_pool_proj`, module.poolProj, 1));
  } else {
    branches.push(
      new Pool2D({
        name: `${p}_pool`,
        mode: 'max',
        poolSize: 3,
        strides: 2,
        ceilMode: true,
      }).apply(x) as tf.SymbolicTensor,
    );
  }
  return seAt(concatBranches(branches, `${p}_output`), se, 'standard', `${p}_se`);
}

/**
 * Builds BN-Inception (`se: false`, the default) or SE-BN-Inception (`se: true` or SE options).
 *
 * @example
 * ```ts
 * import { buildBnInception } from '@se/inception';
 *
 * const model = buildBnInception({ se: { reduction: 8 }, classes: 10 });
 * ```
 */
export function buildBnInception(
  options: ModelOptions = {},
  enabledByDefault = false,
  defaultName = enabledByDefault ? 'se_bninception' : 'bninception',
): tf.LayersModel {
  const resolved = resolveModelOptions(options, BN_INCEPTION_LIMITS);
  checkInputSizes(
    resolved,
    (size) => size === null || bnInceptionFeatureSizes(size) !== null,
    (size) =>
      `a size whose Caffe reductions fit, 32k − 1 … 32k + 6 (e.g. 224); nearest: ${nearestValid(
        size ?? 0,
      ).join(' or ')}`,
  );
  const se = resolveInceptionSE(options.se, enabledByDefault);
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = unit(input, 'conv1_7x7_s2', 'conv1_relu_7x7', 64, 7, 2);
  x = new Pool2D({
    name: 'pool1_3x3_s2',
    mode: 'max',
    poolSize: 3,
    strides: 2,
    ceilMode: true,
  }).apply(x) as tf.SymbolicTensor;
  x = unit(x, 'conv2_3x3_reduce', 'conv2_relu_3x3_reduce', 64, 1);
  x = unit(x, 'conv2_3x3', 'conv2_relu_3x3', 192, 3);
  x = new Pool2D({
    name: 'pool2_3x3_s2',
    mode: 'max',
    poolSize: 3,
    strides: 2,
    ceilMode: true,
  }).apply(x) as tf.SymbolicTensor;
  for (const module of BN_INCEPTION_MODULES) {
    const stage = Number(module.id[0]) - 2; // modules 3x, 4x, 5x are stages 1, 2, 3
    x = bnInceptionModule(x, module, seForStage(se, stage));
  }
  // The release's 7×7 average pool is the global average at 224².
  const output = classifierHead(x, resolved, { classifier: 'last_linear' });
  return tf.model({ inputs: input, outputs: output, name: resolved.name ?? defaultName });
}

/** The registry rows of BN-Inception and SE-BN-Inception. */
const BN_INCEPTION_MODELS: Record<BnInceptionModelName, FamilyModel> = twinModels({
  plain: 'bninception',
  se: 'se_bninception',
  build: buildBnInception,
  description: {
    plain:
      'BN-Inception, the plain baseline of the SENet Caffe release (Cadene bninception.py names, no conv bias)',
    se: 'SE-BN-Inception, exact to the SENet Caffe release (SE-BN-Inception.prototxt)',
  },
  paper: {
    plain: { gmacs: 2.03, table: 'Table 2' },
    se: { gmacs: 2.04, table: 'Table 2' },
  },
});

/** The registered names of BN-Inception and its SE twin. */
export type BnInceptionModelName = 'bninception' | 'se_bninception';

/** Every {@link BnInceptionModelName}, as registered. */
export const BN_INCEPTION_MODEL_NAMES = Object.keys(
  BN_INCEPTION_MODELS,
) as readonly BnInceptionModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<BnInceptionModelName, true> {}
}

const INCEPTION = registerFamily({
  family: 'inception',
  package: '@se/inception',
  limits: BN_INCEPTION_LIMITS,
  models: BN_INCEPTION_MODELS,
});

/**
 * BN-Inception (Ioffe & Szegedy 2015) as the plain baseline of the SENet Caffe release:
 * 11,285,224 parameters, 2.03 G MACs at 224².
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { bnInception } from '@se/inception';
 *
 * const model = bnInception({ classes: 10, inputShape: [224, 224, 3] });
 * ```
 * @function
 */
export const bnInception = INCEPTION.bninception;

/**
 * SE-BN-Inception exactly as the SENet Caffe release: 11,931,622 parameters, 2.03 G MACs at
 * 224² (the paper's Table 2 says 2.04 G).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seBnInception } from '@se/inception';
 *
 * const model = seBnInception({ includeTop: false, pooling: 'avg' }); // 1024 features
 * ```
 * @function
 */
export const seBnInception = INCEPTION.se_bninception;
