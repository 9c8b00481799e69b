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
  buildResidualNetwork,
  ConfigError,
  checkChoice,
  type FamilyModel,
  type ModelOptions,
  RESIDUAL_LIMITS,
  type ResidualBlockKind,
  type ResidualLayout,
  registerFamily,
} from '@se/core';
import type * as tf from '@tensorflow/tfjs';

// The stem, the units, the stage loop and both layouts live in @se/core's residual builder
// (buildResidualNetwork, residualBasicBlock, residualBottleneck, residualStem,
// resolveResidualSE), shared with @se/resnext; this module names the ResNet depths and registers
// them.

/** A ResNet: its block, blocks per stage, layout, and whether it has SE by default. */
export interface ResNetArchitecture {
  /** Residual unit of every stage. */
  block: ResidualBlockKind;
  /** Blocks in each of the four stages, e.g. `[3, 4, 6, 3]` for ResNet-50. */
  layers: [number, number, number, number];
  /** Reference implementation whose layer names and details the network follows. */
  layout: ResidualLayout;
  /** Whether the network has SE blocks when built without an `se` option. */
  se: boolean;
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
} as const satisfies Record<number, { block: ResidualBlockKind; layers: number[] }>;

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
  layout?: ResidualLayout;
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
  return buildResidualNetwork(architecture, rest, `resnet${depth}`);
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

/** The three registered ResNets of a depth: plain, SE (timm layout) and legacy SE (Caffe). */
function depthModels<D extends ResNetDepth>(
  depth: D,
): Record<`resnet${D}` | `seresnet${D}` | `legacy_seresnet${D}`, FamilyModel> {
  const names = {
    plain: `resnet${depth}`,
    se: `seresnet${depth}`,
    legacy: `legacy_seresnet${depth}`,
  } as const;
  const row = (variant: 'plain' | 'se' | 'legacy'): FamilyModel => {
    const architecture = resnetArchitecture(depth, variant);
    const gmacs = PAPER_GMACS[depth]?.[1];
    return {
      build: (options, name) => buildResidualNetwork(architecture, options, name),
      se: variant !== 'plain',
      ...(variant === 'legacy' ? {} : { twin: variant === 'se' ? names.plain : names.se }),
      description:
        variant === 'legacy'
          ? `SE-ResNet-${depth} in the original Caffe release's layout (timm legacy_seresnet${depth}, Cadene senet.py)`
          : `${variant === 'se' ? 'SE-' : ''}ResNet-${depth}, exact to timm ${names[variant]}`,
      ...(variant === 'legacy' && gmacs ? { paper: { gmacs, table: 'Table 2' } } : {}),
    };
  };
  return {
    [names.plain]: row('plain'),
    [names.se]: row('se'),
    [names.legacy]: row('legacy'),
  } as Record<`resnet${D}` | `seresnet${D}` | `legacy_seresnet${D}`, FamilyModel>;
}

/** The registry table of the ImageNet ResNets: `resnet*`, `seresnet*`, `legacy_seresnet*`. */
const RESNET_MODELS: Record<ResNetModelName, FamilyModel> = {
  ...depthModels(18),
  ...depthModels(34),
  ...depthModels(50),
  ...depthModels(101),
  ...depthModels(152),
};

/** The registered name of an ImageNet ResNet of this package. */
export type ResNetModelName = `${'' | 'se' | 'legacy_se'}resnet${ResNetDepth}`;

/** Every {@link ResNetModelName}, as registered. */
export const RESNET_MODEL_NAMES = Object.keys(RESNET_MODELS) as readonly ResNetModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<ResNetModelName, true> {}
}

const R = registerFamily({
  family: 'resnet',
  package: '@se/resnet',
  limits: RESIDUAL_LIMITS,
  models: RESNET_MODELS,
});

/**
 * ResNet-18 (timm `resnet18`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { resnet18 } from '@se/resnet';
 *
 * const model = resnet18({ classes: 10, inputShape: [32, 32, 3] });
 * ```
 * @function
 */
export const resnet18 = R.resnet18;
/**
 * ResNet-34 (timm `resnet34`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { resnet34 } from '@se/resnet';
 *
 * // A 512-channel feature extractor with global average pooling.
 * const backbone = resnet34({ includeTop: false, pooling: 'avg' });
 * ```
 * @function
 */
export const resnet34 = R.resnet34;
/**
 * ResNet-50 (timm `resnet50`, 25,557,032 parameters).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { resnet50 } from '@se/resnet';
 *
 * const logits = resnet50({ classifierActivation: 'linear' }); // as timm: no softmax
 * ```
 * @function
 */
export const resnet50 = R.resnet50;
/**
 * ResNet-101 (timm `resnet101`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { resnet101 } from '@se/resnet';
 *
 * const model = resnet101({ name: 'backbone', includeTop: false });
 * ```
 * @function
 */
export const resnet101 = R.resnet101;
/**
 * ResNet-152 (timm `resnet152`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { resnet152 } from '@se/resnet';
 *
 * // The same network with SE blocks in its last two stages only (paper Table 13).
 * const model = resnet152({ se: { stages: [3, 4] } });
 * ```
 * @function
 */
export const resnet152 = R.resnet152;
/**
 * SE-ResNet-18 (timm `seresnet18`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seResNet18 } from '@se/resnet';
 *
 * const model = seResNet18({ classes: 100, inputShape: [64, 64, 3] });
 * ```
 * @function
 */
export const seResNet18 = R.seresnet18;
/**
 * SE-ResNet-34 (timm `seresnet34`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seResNet34 } from '@se/resnet';
 *
 * const plain = seResNet34({ se: false }); // the ResNet-34 baseline
 * ```
 * @function
 */
export const seResNet34 = R.seresnet34;
/**
 * SE-ResNet-50 (timm `seresnet50`, 28,088,024 parameters).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seResNet50 } from '@se/resnet';
 *
 * const model = seResNet50({ classes: 10, inputShape: [64, 64, 3], se: { reduction: 8 } });
 * ```
 * @function
 */
export const seResNet50 = R.seresnet50;
/**
 * SE-ResNet-101 (timm `seresnet101`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seResNet101 } from '@se/resnet';
 *
 * const model = seResNet101({ se: { squeeze: 'max' } }); // paper §6.3 ablation
 * ```
 * @function
 */
export const seResNet101 = R.seresnet101;
/**
 * SE-ResNet-152 (timm `seresnet152`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seResNet152 } from '@se/resnet';
 *
 * const model = seResNet152({ se: { gate: 'tanh' } }); // paper §6.4 ablation
 * ```
 * @function
 */
export const seResNet152 = R.seresnet152;
/**
 * SE-ResNet-18 in the Caffe release's layout (timm `legacy_seresnet18`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { legacySeResNet18 } from '@se/resnet';
 *
 * const model = legacySeResNet18({ classes: 10 });
 * ```
 * @function
 */
export const legacySeResNet18 = R.legacy_seresnet18;
/**
 * SE-ResNet-34 in the Caffe release's layout (timm `legacy_seresnet34`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { legacySeResNet34 } from '@se/resnet';
 *
 * const model = legacySeResNet34({ se: { position: 'identity' } }); // SE-Identity
 * ```
 * @function
 */
export const legacySeResNet34 = R.legacy_seresnet34;
/**
 * SE-ResNet-50 in the Caffe release's layout (timm `legacy_seresnet50`; paper: 3.87 GMACs).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { countMacs } from '@se/core';
 * import { legacySeResNet50 } from '@se/resnet';
 *
 * countMacs(legacySeResNet50()) / 1e9; // 3.86 (the paper's Table 2 says 3.87)
 * ```
 * @function
 */
export const legacySeResNet50 = R.legacy_seresnet50;
/**
 * SE-ResNet-101 in the Caffe release's layout (timm `legacy_seresnet101`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { legacySeResNet101 } from '@se/resnet';
 *
 * const model = legacySeResNet101({ se: { reduction: 8 } });
 * ```
 * @function
 */
export const legacySeResNet101 = R.legacy_seresnet101;
/**
 * SE-ResNet-152 in the Caffe release's layout (timm `legacy_seresnet152`).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { legacySeResNet152 } from '@se/resnet';
 *
 * const model = legacySeResNet152({ inputShape: [null, null, 3] }); // any input size
 * ```
 * @function
 */
export const legacySeResNet152 = R.legacy_seresnet152;
