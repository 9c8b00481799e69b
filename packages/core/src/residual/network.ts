/**
 * The ResNet-style network every residual family shares (ResNet, SE-ResNet, ResNeXt,
 * SE-ResNeXt, SENet-154), after timm's `resnet.py` and Cadene's `senet.py`: a stem, four stages
 * of basic or bottleneck units (grouped 3×3 convolutions for ResNeXt), and a classifier head.
 * Two layouts fix the names and details:
 * - `timm`: timm's `resnet*` / `seresnet*` / `resnext*` / `seresnext*` — a downsampling
 *   bottleneck strides on its 3×3 convolution, SE hidden widths rounded to multiples of 8, γ of
 *   each branch's last BN starting at zero;
 * - `caffe`: the original SENet Caffe release as ported by Cadene and timm's `legacy_*` — stem
 *   layers under `layer0`, a ceil-mode stem pool, SE hidden width ⌊C/16⌋ named `se_module`,
 *   dropout 0.2 before `last_linear`, a ReLU before SE in the basic block, and (SE-ResNet only)
 *   the stride of a downsampling bottleneck on its first 1×1 convolution.
 * Layer names are the PyTorch module paths, so weights map onto the reference `state_dict`.
 */

import * as tf from '@tensorflow/tfjs';
import type { SqueezeExciteOptions } from '../attention/options.js';
import {
  type ResolvedSE,
  resolveSEConfig,
  type SEConfig,
  seForStage,
} from '../attention/placement.js';
import { ConfigError, checkChoice, checkDivides, checkInteger } from '../errors.js';
import { convBn } from '../layers/builders.js';
import { Pool2D, type Pool2DArgs } from '../layers/pool.js';
import {
  type ArchitectureLimits,
  classifierHead,
  type ModelOptions,
  resolveModelOptions,
} from '../models.js';
import { residualUnit } from './unit.js';

/** Which reference implementation a residual network's layer names and details follow. */
export type ResidualLayout = 'timm' | 'caffe';
/** The residual unit a network stacks. */
export type ResidualBlockKind = 'basic' | 'bottleneck';
/** The convolution of a downsampling bottleneck that carries the stride. */
export type BottleneckStride = '1x1' | '3x3';
/**
 * The stem: `'7x7'` one 7×7/2 convolution (ResNet), `'3x3'` three 3×3 convolutions of 64, 64 and
 * `stemWidth` channels, the first with stride 2 (SENet-154's `input_3x3`; Caffe layout only).
 */
export type ResidualStem = '7x7' | '3x3';

/** Names of one conv → BN → ReLU unit of the stem. */
export interface StemUnitNames {
  /** Convolution, e.g. `conv1` or `layer0.conv1`. */
  conv: string;
  /** Batch norm, e.g. `bn1` or `layer0.bn1`. */
  bn: string;
  /** ReLU, e.g. `act1` or `layer0.relu1`. */
  act: string;
}

/** What differs between the two layouts, in one place. */
export interface ResidualLayoutSpec {
  /** Names of the stem's `index`-th (1-based) conv → BN → ReLU unit. */
  stem: (index: number) => StemUnitNames;
  /** The stem's max pool: padding 1 (timm) or ceil mode (Caffe). */
  pool: Pool2DArgs;
  /** Classifier name: `fc` (timm) or `last_linear` (Caffe). */
  classifier: string;
  /** Module name of a unit's SE block: `se` (timm) or `se_module` (Caffe). */
  seName: string;
  /** SE defaults: reduction 16 with divisor 8 (timm) or ⌊C/16⌋ (Caffe). */
  seDefaults: SqueezeExciteOptions;
  /** Which convolution of a downsampling bottleneck carries the stride, unless overridden. */
  bottleneckStride: BottleneckStride;
  /** The Caffe basic block applies a ReLU after its second BN, before SE. */
  reluBeforeSE: boolean;
  /** Start the last BN γ of each branch at zero (timm's `zero_init_last`). */
  zeroInitLast: boolean;
  /** Dropout before the classifier. */
  dropout: number;
}

/** The two layouts. */
export const RESIDUAL_LAYOUTS: Readonly<Record<ResidualLayout, ResidualLayoutSpec>> = {
  /** timm's `resnet.py`. */
  timm: {
    stem: (i) => ({ conv: `conv${i}`, bn: `bn${i}`, act: `act${i}` }),
    pool: { name: 'maxpool', mode: 'max', poolSize: 3, strides: 2, padding: 1 },
    classifier: 'fc',
    seName: 'se',
    seDefaults: { reduction: 16, divisor: 8 },
    bottleneckStride: '3x3',
    reluBeforeSE: false,
    zeroInitLast: true,
    dropout: 0,
  },
  /** The Caffe release as Cadene's / timm's legacy `senet.py`. */
  caffe: {
    stem: (i) => ({ conv: `layer0.conv${i}`, bn: `layer0.bn${i}`, act: `layer0.relu${i}` }),
    pool: { name: 'pool0', mode: 'max', poolSize: 3, strides: 2, ceilMode: true },
    classifier: 'last_linear',
    seName: 'se_module',
    seDefaults: { reduction: 16, divisor: 1 },
    bottleneckStride: '1x1',
    reluBeforeSE: true,
    zeroInitLast: false,
    dropout: 0.2,
  },
};

/** Output channels per input "plane" of each block kind. */
export const RESIDUAL_EXPANSION: Readonly<Record<ResidualBlockKind, number>> = {
  /** Basic block: `planes` out. */
  basic: 1,
  /** Bottleneck: `4 · planes` out. */
  bottleneck: 4,
};

/** The network's total stride: 2 (stem) · 2 (pool) · 2³ (stages 2–4). */
export const RESIDUAL_LIMITS: ArchitectureLimits = {
  defaultInputShape: [224, 224, 3],
  minInputSize: 32,
};

/** One residual unit of a ResNet-style network. */
export interface ResidualBlockSpec {
  /** Module path, e.g. `layer2.0`. */
  name: string;
  /** The stage's "planes": width of a basic block; a bottleneck outputs 4× as many channels. */
  planes: number;
  /** Stride of the unit: 2 for the first unit of stages 2–4, else 1. */
  stride: number;
  /** Reference implementation the unit follows. */
  layout: ResidualLayout;
  /** SE settings of the unit's stage, or null. */
  se: ResolvedSE | null;
  /** Cardinality: groups of the bottleneck's 3×3 convolution (default 1; ResNeXt 32). */
  groups?: number;
  /** Width of one group at 64 planes (default 64; ResNeXt's `d`, e.g. 4 in 32×4d). */
  baseWidth?: number;
  /** The first 1×1 convolution is `width / reduceFirst` wide (default 1; SENet-154 2). */
  reduceFirst?: number;
  /** Which convolution of a downsampling bottleneck strides (default: the layout's). */
  strideOn?: BottleneckStride;
  /** Kernel of the projection shortcut (default 1; SENet-154's stages 2–4 use 3, padding 1). */
  shortcutKernel?: number;
}

/**
 * Width of a bottleneck's grouped 3×3 convolution: ⌊planes · baseWidth / 64⌋ · groups (timm's and
 * Cadene's formula; `planes` for a plain ResNet).
 *
 * @example
 * ```ts
 * import { bottleneckWidth } from '@se/core';
 *
 * bottleneckWidth(64, 32, 4); // 128: ResNeXt-50 32×4d, stage 1
 * bottleneckWidth(256, 1, 64); // 256: ResNet-50, stage 3
 * ```
 */
export function bottleneckWidth(planes: number, groups: number, baseWidth: number): number {
  return Math.floor((planes * baseWidth) / 64) * groups;
}

function channelsOf(x: tf.SymbolicTensor): number {
  return x.shape[3] ?? 0;
}

/** The projection shortcut when the unit changes resolution or width, else the identity. */
function projection(x: tf.SymbolicTensor, spec: ResidualBlockSpec, outChannels: number) {
  if (spec.stride === 1 && channelsOf(x) === outChannels) return undefined;
  return (input: tf.SymbolicTensor) =>
    convBn(input, {
      name: `${spec.name}.downsample.0`,
      bnName: `${spec.name}.downsample.1`,
      filters: outChannels,
      kernelSize: spec.shortcutKernel ?? 1,
      strides: spec.stride,
    });
}

/**
 * Two 3×3 convolutions (ResNet-18/34). SE_3×3 sits after the first.
 *
 * @example
 * ```ts
 * import { residualBasicBlock, resolveResidualSE, seForStage } from '@se/core';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const se = seForStage(resolveResidualSE('timm', true, true), 2);
 * const x = tf.input({ shape: [56, 56, 64] });
 * const y = residualBasicBlock(x, { name: 'layer2.0', planes: 128, stride: 2, layout: 'timm', se });
 * ```
 */
export function residualBasicBlock(
  x: tf.SymbolicTensor,
  spec: ResidualBlockSpec,
): tf.SymbolicTensor {
  if ((spec.groups ?? 1) !== 1 || (spec.baseWidth ?? 64) !== 64) {
    throw new ConfigError(
      `${spec.name} groups/baseWidth`,
      [spec.groups, spec.baseWidth],
      'groups 1 and baseWidth 64: the basic block has no grouped convolution',
    );
  }
  const layout = RESIDUAL_LAYOUTS[spec.layout];
  const { name, planes } = spec;
  return residualUnit(x, {
    name,
    se: spec.se,
    seName: layout.seName,
    shortcut: projection(x, spec, planes),
    branch: (input, after3x3) => {
      const y = convBn(input, {
        name: `${name}.conv1`,
        bnName: `${name}.bn1`,
        filters: planes,
        kernelSize: 3,
        strides: spec.stride,
        activation: 'relu',
        activationName: `${name}.act1`,
      });
      return convBn(after3x3(y), {
        name: `${name}.conv2`,
        bnName: `${name}.bn2`,
        filters: planes,
        kernelSize: 3,
        bn: { zeroInit: layout.zeroInitLast },
        ...(layout.reluBeforeSE ? { activation: 'relu', activationName: `${name}.act2` } : {}),
      });
    },
  });
}

/**
 * 1×1 → 3×3 (grouped for ResNeXt) → 1×1 (×4) bottleneck: ResNet-50/101/152, ResNeXt, SENet-154.
 * The 3×3 is {@link bottleneckWidth} wide, the first 1×1 that divided by `reduceFirst`; the stride
 * sits on the 1×1 or the 3×3 as `strideOn` (default: the layout's) says.
 *
 * @example
 * ```ts
 * import { residualBottleneck, resolveResidualSE } from '@se/core';
 * import * as tf from '@tensorflow/tfjs';
 *
 * // The first unit of SE-ResNeXt-50 32×4d's stage 2: 256 → 256 (32 groups) → 512.
 * const x = tf.input({ shape: [56, 56, 256] });
 * const y = residualBottleneck(x, {
 *   name: 'layer2.0',
 *   planes: 128,
 *   stride: 2,
 *   layout: 'timm',
 *   se: resolveResidualSE('timm', true, true),
 *   groups: 32,
 *   baseWidth: 4,
 * }); // [28, 28, 512]
 * ```
 */
export function residualBottleneck(
  x: tf.SymbolicTensor,
  spec: ResidualBlockSpec,
): tf.SymbolicTensor {
  const layout = RESIDUAL_LAYOUTS[spec.layout];
  const { name, planes } = spec;
  const groups = checkInteger(`${name} groups`, spec.groups ?? 1, 1);
  const baseWidth = checkInteger(`${name} baseWidth`, spec.baseWidth ?? 64, 1);
  const reduceFirst = checkInteger(`${name} reduceFirst`, spec.reduceFirst ?? 1, 1);
  const width = bottleneckWidth(planes, groups, baseWidth);
  if (width === 0) {
    throw new ConfigError(`${name} baseWidth`, baseWidth, `at least ${Math.ceil(64 / planes)}`);
  }
  checkDivides(`${name} reduceFirst`, reduceFirst, width, 'bottleneck width');
  const strideOn1x1 = (spec.strideOn ?? layout.bottleneckStride) === '1x1';
  const outChannels = planes * RESIDUAL_EXPANSION.bottleneck;
  return residualUnit(x, {
    name,
    se: spec.se,
    seName: layout.seName,
    shortcut: projection(x, spec, outChannels),
    branch: (input, after3x3) => {
      let y = convBn(input, {
        name: `${name}.conv1`,
        bnName: `${name}.bn1`,
        filters: width / reduceFirst,
        kernelSize: 1,
        strides: strideOn1x1 ? spec.stride : 1,
        activation: 'relu',
        activationName: `${name}.act1`,
      });
      y = convBn(y, {
        name: `${name}.conv2`,
        bnName: `${name}.bn2`,
        filters: width,
        kernelSize: 3,
        strides: strideOn1x1 ? 1 : spec.stride,
        groups,
        activation: 'relu',
        activationName: `${name}.act2`,
      });
      return convBn(after3x3(y), {
        name: `${name}.conv3`,
        bnName: `${name}.bn3`,
        filters: outChannels,
        kernelSize: 1,
        bn: { zeroInit: layout.zeroInitLast },
      });
    },
  });
}

/** Options of {@link residualStem}. */
export interface ResidualStemOptions {
  /** `'7x7'` (default) or `'3x3'` (three 3×3 convolutions; Caffe layout only). */
  kind?: ResidualStem;
  /** Channels out of the stem (PyTorch's `inplanes`; default 64, SENet-154 128). */
  width?: number;
}

/**
 * The stem: a 7×7/2 convolution (or SENet-154's three 3×3 convolutions), BN, ReLU, then a 3×3/2
 * max pool (padding 1 in the timm layout, ceil mode in the Caffe layout); a quarter of the
 * input's height and width.
 *
 * @example
 * ```ts
 * import { residualStem } from '@se/core';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const x = tf.input({ shape: [224, 224, 3] });
 * const y = residualStem(x, 'caffe', { kind: '3x3', width: 128 }); // [56, 56, 128]
 * ```
 */
export function residualStem(
  input: tf.SymbolicTensor,
  layout: ResidualLayout,
  options: ResidualStemOptions = {},
): tf.SymbolicTensor {
  const spec = RESIDUAL_LAYOUTS[layout];
  const kind = checkChoice('stem', options.kind ?? '7x7', ['7x7', '3x3'] as const);
  const width = checkInteger('stemWidth', options.width ?? 64, 1);
  if (kind === '3x3' && layout !== 'caffe') {
    throw new ConfigError('stem', kind, "'7x7': the three-3×3 stem exists in the caffe layout");
  }
  const unit = (x: tf.SymbolicTensor, index: number, filters: number, k: number, s: number) => {
    const names = spec.stem(index);
    return convBn(x, {
      name: names.conv,
      bnName: names.bn,
      filters,
      kernelSize: k,
      strides: s,
      activation: 'relu',
      activationName: names.act,
    });
  };
  let x: tf.SymbolicTensor;
  if (kind === '7x7') {
    x = unit(input, 1, width, 7, 2);
  } else {
    x = unit(unit(unit(input, 1, 64, 3, 2), 2, 64, 3, 1), 3, width, 3, 1);
  }
  return new Pool2D(spec.pool).apply(x) as tf.SymbolicTensor;
}

/**
 * The SE settings of a layout (timm's divisor-8 rounding or Caffe's ⌊C/16⌋) for `se`, or null
 * for the plain network; `enabledByDefault` applies when `se` is undefined.
 *
 * @example
 * ```ts
 * import { resolveResidualSE } from '@se/core';
 *
 * resolveResidualSE('caffe', { stages: [3, 4] }, true)?.block.divisor; // 1
 * resolveResidualSE('timm', undefined, false); // null
 * ```
 */
export function resolveResidualSE(
  layout: ResidualLayout,
  se: SEConfig | boolean | undefined,
  enabledByDefault: boolean,
): ResolvedSE | null {
  return resolveSEConfig(se, RESIDUAL_LAYOUTS[layout].seDefaults, 4, enabledByDefault);
}

/** A ResNet-style network: its units, stages, layout and the ResNeXt / SENet-154 knobs. */
export interface ResidualArchitecture {
  /** Residual unit of every stage. */
  block: ResidualBlockKind;
  /** Units in each of the four stages, e.g. `[3, 4, 6, 3]` for ResNet-50. */
  layers: readonly [number, number, number, number];
  /** Reference implementation whose layer names and details the network follows. */
  layout: ResidualLayout;
  /** Whether the network has SE blocks when built without an `se` option. */
  se: boolean;
  /** Cardinality of each bottleneck's 3×3 convolution (default 1; ResNeXt 32, SENet-154 64). */
  groups?: number;
  /** Width of one group at 64 planes (default 64; ResNeXt 32×4d and SENet-154: 4). */
  baseWidth?: number;
  /** The first 1×1 of a bottleneck is `width / reduceFirst` wide (default 1; SENet-154 2). */
  reduceFirst?: number;
  /** Which convolution of a downsampling bottleneck strides (default: the layout's). */
  strideOn?: BottleneckStride;
  /** The stem (default `'7x7'`). */
  stem?: ResidualStem;
  /** Channels out of the stem (default 64; SENet-154 128). */
  stemWidth?: number;
  /** Projection kernel of stages 2–4 (default 1; SENet-154 3 with padding 1). Stage 1 uses 1. */
  shortcutKernel?: number;
}

/**
 * Builds a ResNet-style network from its architecture and Keras-style options (ModelOptions);
 * `defaultName` names the model when `options.name` is not given.
 *
 * @example
 * ```ts
 * import { buildResidualNetwork } from '@se/core';
 *
 * // SE-ResNeXt-50 32×4d, exact to timm's seresnext50_32x4d, for 10 classes.
 * const model = buildResidualNetwork(
 *   { block: 'bottleneck', layers: [3, 4, 6, 3], layout: 'timm', se: true, groups: 32, baseWidth: 4 },
 *   { classes: 10 },
 *   'seresnext50_32x4d',
 * );
 * ```
 */
export function buildResidualNetwork(
  architecture: ResidualArchitecture,
  options: ModelOptions = {},
  defaultName = 'resnet',
): tf.LayersModel {
  const resolved = resolveModelOptions(options, RESIDUAL_LIMITS);
  const { layout } = architecture;
  checkChoice('layout', layout, ['timm', 'caffe'] as const);
  const block = checkChoice('block', architecture.block, ['basic', 'bottleneck'] as const);
  if (!Array.isArray(architecture.layers) || architecture.layers.length !== 4) {
    throw new ConfigError('layers', architecture.layers, 'units in each of the 4 stages');
  }
  for (const [i, n] of architecture.layers.entries()) checkInteger(`layers[${i}]`, n, 1);
  const se = resolveResidualSE(layout, options.se, architecture.se);
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = residualStem(input, layout, {
    kind: architecture.stem ?? '7x7',
    width: architecture.stemWidth ?? 64,
  });
  const unit = block === 'basic' ? residualBasicBlock : residualBottleneck;
  for (const [stage, blocks] of architecture.layers.entries()) {
    for (let i = 0; i < blocks; i++) {
      x = unit(x, {
        name: `layer${stage + 1}.${i}`,
        planes: 64 * 2 ** stage,
        stride: stage > 0 && i === 0 ? 2 : 1,
        layout,
        se: seForStage(se, stage + 1),
        groups: architecture.groups ?? 1,
        baseWidth: architecture.baseWidth ?? 64,
        reduceFirst: architecture.reduceFirst ?? 1,
        ...(architecture.strideOn ? { strideOn: architecture.strideOn } : {}),
        shortcutKernel: stage > 0 ? (architecture.shortcutKernel ?? 1) : 1,
      });
    }
  }
  const head = RESIDUAL_LAYOUTS[layout];
  const output = classifierHead(x, resolved, { classifier: head.classifier }, head.dropout);
  return tf.model({ inputs: input, outputs: output, name: resolved.name ?? defaultName });
}
