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
  ConfigError,
  checkChoice,
  classifierHead,
  convBn,
  type ModelInfo,
  type ModelOptions,
  Pool2D,
  type Pool2DArgs,
  type ResolvedSE,
  registerModel,
  residualUnit,
  resolveModelOptions,
  resolveSEConfig,
  type SqueezeExciteOptions,
  seForStage,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** The residual unit a ResNet stacks. */
export type BlockKind = 'basic' | 'bottleneck';
/** Which reference implementation the layer names and details follow. */
export type ResNetLayout = 'timm' | 'caffe';

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

/** What differs between the two layouts, in one place. */
interface LayoutSpec {
  stem: { conv: string; bn: string; act: string };
  pool: Pool2DArgs;
  classifier: string;
  seName: string;
  seDefaults: SqueezeExciteOptions;
  /** Which convolution of a bottleneck carries the stride. */
  bottleneckStride: '1x1' | '3x3';
  /** The Caffe basic block applies a ReLU after its second BN, before SE. */
  reluBeforeSE: boolean;
  /** Start the last BN γ of each branch at zero (timm's `zero_init_last`). */
  zeroInitLast: boolean;
  dropout: number;
}

const LAYOUTS: Record<ResNetLayout, LayoutSpec> = {
  timm: {
    stem: { conv: 'conv1', bn: 'bn1', act: 'act1' },
    pool: { name: 'maxpool', mode: 'max', poolSize: 3, strides: 2, padding: 1 },
    classifier: 'fc',
    seName: 'se',
    seDefaults: { reduction: 16, divisor: 8 },
    bottleneckStride: '3x3',
    reluBeforeSE: false,
    zeroInitLast: true,
    dropout: 0,
  },
  caffe: {
    stem: { conv: 'layer0.conv1', bn: 'layer0.bn1', act: 'layer0.relu1' },
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
export const EXPANSION: Record<BlockKind, number> = { basic: 1, bottleneck: 4 };

/** The network's total stride: 2 (stem conv) · 2 (pool) · 2³ (stages 2–4). */
export const RESNET_LIMITS: ArchitectureLimits = {
  defaultInputShape: [224, 224, 3],
  minInputSize: 32,
};

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

/** The projection shortcut when the block changes resolution or width, else the identity. */
function projection(x: tf.SymbolicTensor, spec: ResNetBlockSpec, outChannels: number) {
  if (spec.stride === 1 && channelsOf(x) === outChannels) return undefined;
  return (input: tf.SymbolicTensor) =>
    convBn(input, {
      name: `${spec.name}.downsample.0`,
      bnName: `${spec.name}.downsample.1`,
      filters: outChannels,
      kernelSize: 1,
      strides: spec.stride,
    });
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
  const layout = LAYOUTS[spec.layout];
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
  const layout = LAYOUTS[spec.layout];
  const { name, planes } = spec;
  const strideOn1x1 = layout.bottleneckStride === '1x1';
  return residualUnit(x, {
    name,
    se: spec.se,
    seName: layout.seName,
    shortcut: projection(x, spec, planes * EXPANSION.bottleneck),
    branch: (input, after3x3) => {
      let y = convBn(input, {
        name: `${name}.conv1`,
        bnName: `${name}.bn1`,
        filters: planes,
        kernelSize: 1,
        strides: strideOn1x1 ? spec.stride : 1,
        activation: 'relu',
        activationName: `${name}.act1`,
      });
      y = convBn(y, {
        name: `${name}.conv2`,
        bnName: `${name}.bn2`,
        filters: planes,
        kernelSize: 3,
        strides: strideOn1x1 ? 1 : spec.stride,
        activation: 'relu',
        activationName: `${name}.act2`,
      });
      return convBn(after3x3(y), {
        name: `${name}.conv3`,
        bnName: `${name}.bn3`,
        filters: planes * EXPANSION.bottleneck,
        kernelSize: 1,
        bn: { zeroInit: layout.zeroInitLast },
      });
    },
  });
}

const BLOCKS = { basic: basicBlock, bottleneck } as const;

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
  const spec = LAYOUTS[layout];
  const x = convBn(input, {
    name: spec.stem.conv,
    bnName: spec.stem.bn,
    filters: 64,
    kernelSize: 7,
    strides: 2,
    activation: 'relu',
    activationName: spec.stem.act,
  });
  return new Pool2D(spec.pool).apply(x) as tf.SymbolicTensor;
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
  return resolveSEConfig(se, LAYOUTS[layout].seDefaults, 4, enabledByDefault);
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
  const resolved = resolveModelOptions(options, RESNET_LIMITS);
  const layout = LAYOUTS[architecture.layout];
  const se = resolveResNetSE(architecture.layout, options.se, architecture.se);
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = stem(input, architecture.layout);
  for (const [stage, blocks] of architecture.layers.entries()) {
    for (let i = 0; i < blocks; i++) {
      x = BLOCKS[architecture.block](x, {
        name: `layer${stage + 1}.${i}`,
        planes: 64 * 2 ** stage,
        stride: stage > 0 && i === 0 ? 2 : 1,
        layout: architecture.layout,
        se: seForStage(se, stage + 1),
      });
    }
  }
  const output = classifierHead(x, resolved, { classifier: layout.classifier }, layout.dropout);
  return tf.model({ inputs: input, outputs: output, name: resolved.name ?? defaultName });
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
