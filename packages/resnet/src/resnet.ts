/**
 * ResNet and SE-ResNet in two layouts, as one readable family (after Cadene's `senet.py`):
 * - `timm`: timm's `resnet*` / `seresnet*` — a downsampling bottleneck strides on its 3×3
 *   convolution, SE hidden widths rounded to multiples of 8, γ of each branch's last BN
 *   starting at zero;
 * - `caffe`: the original SENet Caffe release as ported by Cadene and timm's `legacy_seresnet*` —
 *   the stride sits on the first 1×1 convolution, SE hidden width ⌊C/16⌋, a ceil-mode stem
 *   pool, dropout 0.2 before `last_linear`, and a ReLU before SE in the basic block.
 * Layer names are the PyTorch module paths, so weights map onto timm's `state_dict` by name.
 */

import {
  type ArchitectureLimits,
  buildResidualNetwork,
  ConfigError,
  checkChoice,
  type ModelInfo,
  type ModelOptions,
  RESIDUAL_EXPANSION,
  RESIDUAL_LIMITS,
  type ResidualBlockKind,
  type ResidualLayout,
  type ResolvedSE,
  registerModel,
  residualBasicBlock,
  residualBottleneck,
  residualStem,
  resolveResidualSE,
} from '@se/core';
import type * as tf from '@tensorflow/tfjs';

// The stem, the units, the stage loop and both layouts live in @se/core's residual builder,
// shared with @se/resnext; this module names the ResNet depths and registers them.

/** The residual unit a ResNet stacks. */
export type BlockKind = ResidualBlockKind;
/** Which reference implementation the layer names and details follow. */
export type ResNetLayout = ResidualLayout;

/** A ResNet: its block, blocks per stage, layout, and whether it has SE by default. */
export interface ResNetArchitecture {
  /** Residual unit of every stage. */
  block: BlockKind;
  /** Blocks in each of the four stages, e.g. `[3, 4, 6, 3]` for ResNet-50. */
  layers: [number, number, number, number];
  /** Reference implementation whose layer names and details the network follows. */
  layout: ResNetLayout;
  /** Whether the network has SE blocks when built without an `se` option. */
  se: boolean;
}

/** Output channels per input "plane" of each block kind. */
export const EXPANSION: Record<BlockKind, number> = { ...RESIDUAL_EXPANSION };

/** The network's total stride: 2 (stem conv) · 2 (pool) · 2³ (stages 2–4). */
export const RESNET_LIMITS: ArchitectureLimits = RESIDUAL_LIMITS;

/** One residual block of a ResNet. */
export interface ResNetBlockSpec {
  /** Module path, e.g. `layer2.0`. */
  name: string;
  /** Width of the block's 3×3 convolution(s). */
  planes: number;
  /** Stride of the block: 2 for the first block of stages 2–4, else 1. */
  stride: number;
  /** Reference implementation the block follows. */
  layout: ResNetLayout;
  /** SE settings of the block's stage, or null. */
  se: ResolvedSE | null;
}

/** Channels of an NHWC symbolic tensor. */
export function channelsOf(x: tf.SymbolicTensor): number {
  return x.shape[3] ?? 0;
}

/**
 * Two 3×3 convolutions (ResNet-18/34). SE_3×3 sits after the first.
 *
 * @example
 * ```ts
 * import { seForStage } from '@se/core';
 * import { basicBlock, resolveResNetSE } from '@se/resnet';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const se = seForStage(resolveResNetSE('timm', true, true), 2);
 * const x = tf.input({ shape: [56, 56, 64] });
 * const y = basicBlock(x, { name: 'layer2.0', planes: 128, stride: 2, layout: 'timm', se });
 * ```
 */
export function basicBlock(x: tf.SymbolicTensor, spec: ResNetBlockSpec): tf.SymbolicTensor {
  return residualBasicBlock(x, spec);
}

/**
 * 1×1 → 3×3 → 1×1 (×4) bottleneck (ResNet-50/101/152). The layout decides where the stride is.
 *
 * @example
 * ```ts
 * import { bottleneck } from '@se/resnet';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const x = tf.input({ shape: [56, 56, 64] });
 * const y = bottleneck(x, { name: 'layer1.0', planes: 64, stride: 1, layout: 'caffe', se: null });
 * // y: [56, 56, 256], with a projection shortcut `layer1.0.downsample`
 * ```
 */
export function bottleneck(x: tf.SymbolicTensor, spec: ResNetBlockSpec): tf.SymbolicTensor {
  return residualBottleneck(x, spec);
}

/**
 * The ResNet stem: 7×7/2 convolution, BN, ReLU, 3×3/2 max pool (padding 1 in the timm layout,
 * ceil mode in the Caffe layout); a quarter of the input's height and width.
 *
 * @example
 * ```ts
 * import { stem } from '@se/resnet';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const x = stem(tf.input({ shape: [224, 224, 3] }), 'timm'); // [56, 56, 64]
 * ```
 */
export function stem(input: tf.SymbolicTensor, layout: ResNetLayout): tf.SymbolicTensor {
  return residualStem(input, layout);
}

/**
 * The SE settings of a layout (timm's divisor-8 rounding or Caffe's ⌊C/16⌋) for `se`, or null
 * for the plain network; `enabledByDefault` applies when `se` is undefined.
 *
 * @example
 * ```ts
 * import { resolveResNetSE } from '@se/resnet';
 *
 * resolveResNetSE('caffe', { stages: [3, 4] }, true)?.block.divisor; // 1
 * resolveResNetSE('timm', undefined, false); // null
 * ```
 */
export function resolveResNetSE(
  layout: ResNetLayout,
  se: ModelOptions['se'],
  enabledByDefault: boolean,
): ResolvedSE | null {
  return resolveResidualSE(layout, se, enabledByDefault);
}

/**
 * Builds any ResNet of this family from its architecture and Keras-style options.
 * `defaultName` names the model when `options.name` is not given.
 *
 * @example
 * ```ts
 * import { buildResNet, resnetArchitecture } from '@se/resnet';
 *
 * const model = buildResNet(resnetArchitecture(50, 'legacy'), { classes: 10 }, 'my_senet');
 * ```
 */
export function buildResNet(
  architecture: ResNetArchitecture,
  options: ModelOptions = {},
  defaultName = 'resnet',
): tf.LayersModel {
  return buildResidualNetwork(architecture, options, defaultName);
}

/** Block kind and blocks per stage of each depth (He et al., Table 1). */
export const RESNET_DEPTHS = {
  /** ResNet-18. */
  18: {
    /** Basic blocks. */
    block: 'basic',
    /** Blocks per stage. */
    layers: [2, 2, 2, 2],
  },
  /** ResNet-34. */
  34: {
    /** Basic blocks. */
    block: 'basic',
    /** Blocks per stage. */
    layers: [3, 4, 6, 3],
  },
  /** ResNet-50. */
  50: {
    /** Bottleneck blocks. */
    block: 'bottleneck',
    /** Blocks per stage. */
    layers: [3, 4, 6, 3],
  },
  /** ResNet-101. */
  101: {
    /** Bottleneck blocks. */
    block: 'bottleneck',
    /** Blocks per stage. */
    layers: [3, 4, 23, 3],
  },
  /** ResNet-152. */
  152: {
    /** Bottleneck blocks. */
    block: 'bottleneck',
    /** Blocks per stage. */
    layers: [3, 8, 36, 3],
  },
} as const satisfies Record<number, { block: BlockKind; layers: number[] }>;

/** Depths of the family. */
export type ResNetDepth = keyof typeof RESNET_DEPTHS;

/** Paper Table 2 (Caffe layout): GMACs of ResNet / SE-ResNet at 224². */
const PAPER_GMACS: Record<ResNetDepth, [number, number] | undefined> = {
  18: undefined,
  34: undefined,
  50: [3.86, 3.87],
  101: [7.58, 7.6],
  152: [11.3, 11.32],
};

/** Options of {@link resNet}: any depth and layout of the family. */
export interface ResNetOptions extends ModelOptions {
  /** 18, 34, 50, 101 or 152. */
  depth: ResNetDepth;
  /** `'timm'` (default) or `'caffe'` (the original SENet release, timm's `legacy_*`). */
  layout?: ResNetLayout;
}

/**
 * Any ResNet of the family by depth and layout; plain unless `se` is given.
 *
 * @example
 * ```ts
 * import { resNet } from '@se/resnet';
 *
 * // The paper's SE_3×3 ablation on a Caffe-layout SE-ResNet-50.
 * const model = resNet({ depth: 50, layout: 'caffe', se: { position: '3x3' } });
 * ```
 */
export function resNet(options: ResNetOptions): tf.LayersModel {
  const { depth, layout = 'timm', ...rest } = options;
  if (!Object.hasOwn(RESNET_DEPTHS, depth)) {
    throw new ConfigError('depth', depth, `one of ${Object.keys(RESNET_DEPTHS).join(', ')}`);
  }
  checkChoice('layout', layout, ['timm', 'caffe'] as const);
  const { block, layers } = RESNET_DEPTHS[depth];
  const architecture: ResNetArchitecture = {
    block,
    layers: [...layers] as ResNetArchitecture['layers'],
    layout,
    se: false,
  };
  return buildResNet(architecture, rest, `resnet${depth}`);
}

/**
 * The architecture behind a registered name: `'plain'` is `resnet{depth}`, `'se'`
 * `seresnet{depth}`, `'legacy'` `legacy_seresnet{depth}` (Caffe layout).
 *
 * @example
 * ```ts
 * import { resnetArchitecture } from '@se/resnet';
 *
 * resnetArchitecture(50, 'legacy');
 * // { block: 'bottleneck', layers: [3, 4, 6, 3], layout: 'caffe', se: true }
 * ```
 */
export function resnetArchitecture(
  depth: ResNetDepth,
  variant: 'plain' | 'se' | 'legacy',
): ResNetArchitecture {
  const { block, layers } = RESNET_DEPTHS[depth];
  return {
    block,
    layers: [...layers] as ResNetArchitecture['layers'],
    layout: variant === 'legacy' ? 'caffe' : 'timm',
    se: variant !== 'plain',
  };
}

function register(
  depth: ResNetDepth,
): Record<'plain' | 'se' | 'legacy', (o?: ModelOptions) => tf.LayersModel> {
  const names = {
    plain: `resnet${depth}`,
    se: `seresnet${depth}`,
    legacy: `legacy_seresnet${depth}`,
  };
  const factories = {} as Record<'plain' | 'se' | 'legacy', (o?: ModelOptions) => tf.LayersModel>;
  for (const variant of ['plain', 'se', 'legacy'] as const) {
    const architecture = resnetArchitecture(depth, variant);
    const name = names[variant];
    const factory = (options?: ModelOptions) => buildResNet(architecture, options, name);
    const gmacs = PAPER_GMACS[depth]?.[1];
    const info: Omit<ModelInfo, 'name'> = {
      family: 'resnet',
      package: '@se/resnet',
      se: variant !== 'plain',
      ...(variant === 'legacy' ? {} : { twin: variant === 'se' ? names.plain : names.se }),
      ...RESNET_LIMITS,
      description:
        variant === 'legacy'
          ? `SE-ResNet-${depth} in the original Caffe release's layout (timm legacy_seresnet${depth}, Cadene senet.py)`
          : `${variant === 'se' ? 'SE-' : ''}ResNet-${depth}, exact to timm ${name}`,
      ...(variant === 'legacy' && gmacs ? { paper: { gmacs, table: 'Table 2' } } : {}),
    };
    registerModel(name, factory, info);
    factories[variant] = factory;
  }
  return factories;
}

const R18 = register(18);
const R34 = register(34);
const R50 = register(50);
const R101 = register(101);
const R152 = register(152);

/**
 * ResNet-18 (timm `resnet18`).
 *
 * @example
 * ```ts
 * import { resnet18 } from '@se/resnet';
 *
 * const model = resnet18({ classes: 10, inputShape: [32, 32, 3] });
 * ```
 */
export const resnet18 = R18.plain;
/**
 * ResNet-34 (timm `resnet34`).
 *
 * @example
 * ```ts
 * import { resnet34 } from '@se/resnet';
 *
 * // A 512-channel feature extractor with global average pooling.
 * const backbone = resnet34({ includeTop: false, pooling: 'avg' });
 * ```
 */
export const resnet34 = R34.plain;
/**
 * ResNet-50 (timm `resnet50`, 25,557,032 parameters).
 *
 * @example
 * ```ts
 * import { resnet50 } from '@se/resnet';
 *
 * const logits = resnet50({ classifierActivation: 'linear' }); // as timm: no softmax
 * ```
 */
export const resnet50 = R50.plain;
/**
 * ResNet-101 (timm `resnet101`).
 *
 * @example
 * ```ts
 * import { resnet101 } from '@se/resnet';
 *
 * const model = resnet101({ name: 'backbone', includeTop: false });
 * ```
 */
export const resnet101 = R101.plain;
/**
 * ResNet-152 (timm `resnet152`).
 *
 * @example
 * ```ts
 * import { resnet152 } from '@se/resnet';
 *
 * // The same network with SE blocks in its last two stages only (paper Table 13).
 * const model = resnet152({ se: { stages: [3, 4] } });
 * ```
 */
export const resnet152 = R152.plain;
/**
 * SE-ResNet-18 (timm `seresnet18`).
 *
 * @example
 * ```ts
 * import { seResNet18 } from '@se/resnet';
 *
 * const model = seResNet18({ classes: 100, inputShape: [64, 64, 3] });
 * ```
 */
export const seResNet18 = R18.se;
/**
 * SE-ResNet-34 (timm `seresnet34`).
 *
 * @example
 * ```ts
 * import { seResNet34 } from '@se/resnet';
 *
 * const plain = seResNet34({ se: false }); // the ResNet-34 baseline
 * ```
 */
export const seResNet34 = R34.se;
/**
 * SE-ResNet-50 (timm `seresnet50`, 28,088,024 parameters).
 *
 * @example
 * ```ts
 * import { seResNet50 } from '@se/resnet';
 *
 * const model = seResNet50({ classes: 10, inputShape: [64, 64, 3], se: { reduction: 8 } });
 * ```
 */
export const seResNet50 = R50.se;
/**
 * SE-ResNet-101 (timm `seresnet101`).
 *
 * @example
 * ```ts
 * import { seResNet101 } from '@se/resnet';
 *
 * const model = seResNet101({ se: { squeeze: 'max' } }); // paper §6.3 ablation
 * ```
 */
export const seResNet101 = R101.se;
/**
 * SE-ResNet-152 (timm `seresnet152`).
 *
 * @example
 * ```ts
 * import { seResNet152 } from '@se/resnet';
 *
 * const model = seResNet152({ se: { gate: 'tanh' } }); // paper §6.4 ablation
 * ```
 */
export const seResNet152 = R152.se;
/**
 * SE-ResNet-18 in the Caffe release's layout (timm `legacy_seresnet18`).
 *
 * @example
 * ```ts
 * import { legacySeResNet18 } from '@se/resnet';
 *
 * const model = legacySeResNet18({ classes: 10 });
 * ```
 */
export const legacySeResNet18 = R18.legacy;
/**
 * SE-ResNet-34 in the Caffe release's layout (timm `legacy_seresnet34`).
 *
 * @example
 * ```ts
 * import { legacySeResNet34 } from '@se/resnet';
 *
 * const model = legacySeResNet34({ se: { position: 'identity' } }); // SE-Identity
 * ```
 */
export const legacySeResNet34 = R34.legacy;
/**
 * SE-ResNet-50 in the Caffe release's layout (timm `legacy_seresnet50`; paper: 3.87 GMACs).
 *
 * @example
 * ```ts
 * import { countMacs } from '@se/core';
 * import { legacySeResNet50 } from '@se/resnet';
 *
 * countMacs(legacySeResNet50()) / 1e9; // 3.86 (the paper's Table 2 says 3.87)
 * ```
 */
export const legacySeResNet50 = R50.legacy;
/**
 * SE-ResNet-101 in the Caffe release's layout (timm `legacy_seresnet101`).
 *
 * @example
 * ```ts
 * import { legacySeResNet101 } from '@se/resnet';
 *
 * const model = legacySeResNet101({ se: { reduction: 8 } });
 * ```
 */
export const legacySeResNet101 = R101.legacy;
/**
 * SE-ResNet-152 in the Caffe release's layout (timm `legacy_seresnet152`).
 *
 * @example
 * ```ts
 * import { legacySeResNet152 } from '@se/resnet';
 *
 * const model = legacySeResNet152({ inputShape: [null, null, 3] }); // any input size
 * ```
 */
export const legacySeResNet152 = R152.legacy;
